/**
 * Check-then-use races: a folder the path check saw is swapped for a symbolic link (to a folder
 * outside, or to .oxydra/) before the tool uses it. First deterministically (check, swap, use),
 * then with a concurrent writer flipping the folder on every event-loop turn while the tools run
 * a bounded number of times. Nothing outside the workspace or in .oxydra/ may ever be read,
 * written or deleted.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTextFile } from '../src/fs/anchored.js';
import { atomicWrite } from '../src/fs/atomic-write.js';
import { resolveWorkspacePath } from '../src/index.js';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';
import { loopTurn, startSwapper } from './swapper.js';

const ATTEMPTS = 150;
const SECRET = 'outside-secret-9d41';

let ws: Workspace;
let vault: string;
beforeEach(() => {
  ws = makeWorkspace();
  vault = join(ws.base, 'vault');
  mkdirSync(vault);
  ws.write('.oxydra/agent.toml', 'model = "a"\n');
  ws.write('sub/agent.toml', 'model = "a"\n');
  ws.write('sub/secret.txt', 'inside\n');
  writeFileSync(join(ws.outside, 'secret.txt'), `${SECRET}\n`);
  writeFileSync(join(ws.outside, 'a.txt'), 'original\n');
});
afterEach(() => ws.cleanup());

const registry = () => coreRegistry({ vault: { path: vault }, search: { backend: 'js' } });
const outsideUntouched = () => {
  expect(readdirSync(ws.outside).sort()).toEqual(['a.txt', 'secret.txt']);
  expect(readFileSync(join(ws.outside, 'a.txt'), 'utf8')).toBe('original\n');
  expect(readFileSync(join(ws.outside, 'secret.txt'), 'utf8')).toBe(`${SECRET}\n`);
};

/** The folder `sub`, checked as a folder, becomes a link to `to` before the use. */
function swapSub(to: string): void {
  renameSync(join(ws.root, 'sub'), join(ws.root, 'sub.parked'));
  symlinkSync(to, join(ws.root, 'sub'));
}

function unswapSub(): void {
  unlinkSync(join(ws.root, 'sub'));
  renameSync(join(ws.root, 'sub.parked'), join(ws.root, 'sub'));
}

describe('a folder swapped for a link between the check and the use', () => {
  it('a write lands neither outside nor in .oxydra/ when its folder becomes a link', async () => {
    for (const to of [ws.outside, join(ws.root, '.oxydra')]) {
      const target = await resolveWorkspacePath(ws.root, 'sub/agent.toml');
      swapSub(to);
      // The folder itself is a link now: the no-follow open of it refuses.
      await expect(atomicWrite(target, 'model = "pwned"\n')).rejects.toMatchObject({ code: 'ELOOP' });
      unswapSub();
    }
    expect(ws.read('.oxydra/agent.toml')).toBe('model = "a"\n');
    outsideUntouched();
  });

  it('a write lands neither outside nor in .oxydra/ when a folder above it becomes a link', async () => {
    const elsewhere = join(ws.base, 'elsewhere');
    mkdirSync(join(elsewhere, 'deep'), { recursive: true });
    mkdirSync(join(ws.root, '.oxydra', 'deep'));
    ws.write('sub/deep/agent.toml', 'model = "a"\n');
    for (const [to, message] of [
      [elsewhere, 'path escapes the workspace: sub/deep/agent.toml'],
      [join(ws.root, '.oxydra'), "path is inside .oxydra/, Oxydra's own folder"],
    ] as const) {
      const target = await resolveWorkspacePath(ws.root, 'sub/deep/agent.toml');
      swapSub(to);
      // The open follows `sub`; where the folder really is, asked of the kernel, is refused.
      await expect(atomicWrite(target, 'model = "pwned"\n')).rejects.toThrow(message);
      unswapSub();
    }
    expect(readdirSync(join(elsewhere, 'deep'))).toEqual([]);
    expect(readdirSync(join(ws.root, '.oxydra', 'deep'))).toEqual([]);
  });

  it('a read never returns the file outside', async () => {
    const target = await resolveWorkspacePath(ws.root, 'sub/secret.txt');
    swapSub(ws.outside);
    await expect(readTextFile(target, 'file_read')).rejects.toThrow(
      'path escapes the workspace: sub/secret.txt',
    );
  });

  it('a file swapped for a link in its own place is not followed', async () => {
    const target = await resolveWorkspacePath(ws.root, 'sub/secret.txt');
    renameSync(join(ws.root, 'sub/secret.txt'), join(ws.root, 'sub/was.txt'));
    symlinkSync(join(ws.outside, 'secret.txt'), join(ws.root, 'sub/secret.txt'));
    await expect(readTextFile(target, 'file_read')).rejects.toThrow(
      'changed during the call (a symbolic link took the place of a checked file or folder); try again: sub/secret.txt',
    );
    // A write replaces the link itself, inside the workspace; the file it pointed to is untouched.
    await atomicWrite(target, 'replaced\n');
    expect(ws.read('sub/secret.txt')).toBe('replaced\n');
    outsideUntouched();
  });
});

describe('a concurrent writer flipping a folder into a link while the tools run', () => {
  it('file_write and file_edit never write outside or into .oxydra/', async () => {
    const reg = registry();
    for (const to of [ws.outside, join(ws.root, '.oxydra')]) {
      const swapper = startSwapper(join(ws.root, 'sub'), to);
      for (let i = 0; i < ATTEMPTS; i++) {
        await loopTurn();
        await callTool(reg, ws.root, 'file_write', { path: 'sub/a.txt', content: 'pwned\n' });
        await callTool(reg, ws.root, 'file_edit', {
          path: 'sub/agent.toml',
          old_text: '"a"',
          new_text: '"b"',
        });
        await callTool(reg, ws.root, 'file_edit', {
          path: 'sub/agent.toml',
          old_text: '"b"',
          new_text: '"a"',
        });
      }
      expect(await swapper.stop()).toBeGreaterThan(ATTEMPTS);
    }
    expect(ws.read('.oxydra/agent.toml')).toBe('model = "a"\n');
    expect(readdirSync(join(ws.root, '.oxydra'))).toEqual(['agent.toml']);
    outsideUntouched();
    // The control, once nothing flips (whether a write wins a gap meanwhile depends on the load).
    await callTool(reg, ws.root, 'file_write', { path: 'sub/a.txt', content: 'pwned\n' });
    expect(ws.read('sub/a.txt')).toBe('pwned\n');
  });

  it('file_delete never deletes outside, also deep inside a folder being removed', async () => {
    const reg = registry();
    const swapper = startSwapper(join(ws.root, 'sub'), ws.outside);
    for (let i = 0; i < ATTEMPTS; i++) {
      await loopTurn();
      writeFileSync(join(swapper.realDir, 'a.txt'), 'inside\n');
      await callTool(reg, ws.root, 'file_delete', { path: 'sub/a.txt' });
    }
    await swapper.stop();
    // A folder deleted whole while one inside it flips into a link to the outside folder.
    for (let i = 0; i < ATTEMPTS / 3; i++) {
      await loopTurn();
      ws.write('tree/sub/a.txt', 'inside\n');
      ws.write('tree/sub/b.txt', 'inside\n');
      const inner = startSwapper(join(ws.root, 'tree/sub'), ws.outside);
      await callTool(reg, ws.root, 'file_delete', { path: 'tree' });
      await inner.stop();
      outsideUntouched();
    }
    // The control, once nothing flips: the same delete does delete.
    ws.write('tree/sub/a.txt', 'inside\n');
    expect((await callTool(reg, ws.root, 'file_delete', { path: 'tree' })).isError).toBe(false);
    expect(existsSync(join(ws.root, 'tree'))).toBe(false);
  });

  it('file_read, file_search and file_list never show what is outside', async () => {
    const reg = registry();
    const swapper = startSwapper(join(ws.root, 'sub'), ws.outside);
    const seen: string[] = [];
    for (let i = 0; i < ATTEMPTS; i++) {
      await loopTurn();
      seen.push((await callTool(reg, ws.root, 'file_read', { path: 'sub/secret.txt' })).content);
      seen.push((await callTool(reg, ws.root, 'file_search', { path: '.', query: 'secret' })).content);
      seen.push((await callTool(reg, ws.root, 'file_list', { path: 'sub' })).content);
    }
    await swapper.stop();
    expect(seen.filter((text) => text.includes(SECRET))).toEqual([]);
    expect(seen.filter((text) => /^a\.txt$/m.test(text))).toEqual([]); // only outside has a.txt
    // The control, once nothing flips: the same read shows the file inside.
    expect((await callTool(reg, ws.root, 'file_read', { path: 'sub/secret.txt' })).content).toBe('inside\n');
  });

  it('vault_copyto neither writes outside nor copies from outside the vault', async () => {
    const reg = registry();
    mkdirSync(join(vault, 'docs'));
    writeFileSync(join(vault, 'docs', 'secret.txt'), 'vault text\n');
    const copy = (destination: string) =>
      callTool(reg, ws.root, 'vault_copyto', {
        source_path: '/vault/docs/secret.txt',
        destination_path: destination,
      });
    // One side flipping at a time; once it stops, a copy must succeed (the control: the refusals
    // came from the flipping, not from a copy that never works). Whether a copy wins a gap while
    // the swapper runs depends on the machine's load, so it is not asserted.
    for (const [flipped, destination] of [
      [join(ws.root, 'sub'), 'sub/copy.txt'],
      [join(vault, 'docs'), 'copy.txt'],
    ] as const) {
      const swapper = startSwapper(flipped, ws.outside);
      const outcomes = [];
      for (let i = 0; i < ATTEMPTS; i++) outcomes.push(await copy(destination));
      await swapper.stop();
      outsideUntouched();
      const control = await copy(destination);
      expect(control.isError, control.content).toBe(false);
      expect(readFileSync(join(ws.root, destination), 'utf8')).toBe('vault text\n');
      // Refusals (escapes, a link in the way, a folder missing mid-flip) never name host paths.
      expect(outcomes.filter((outcome) => outcome.content.includes(ws.base))).toEqual([]);
    }
  });
});
