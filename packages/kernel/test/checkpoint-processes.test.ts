/**
 * Snapshots by several processes on one workspace (each `oxydra run` opens a store of its own,
 * a gateway keeps one): what one process learnt is used by the next without starting git, and
 * never past a change it does not describe (an edited ignore file).
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../src/services/checkpoints/index.js';
import { logGitCalls } from './git-gate.js';
import { tempFolders } from './temp-folders.js';

describe('checkpoint snapshots across processes', () => {
  const { folder } = tempFolders('oxydra-ckpt-processes-');
  afterEach(() => vi.unstubAllEnvs());

  /** From now on, every git command this process starts is logged; returns the log's reader. */
  const logGit = (): (() => string[]) => {
    const bin = folder();
    const calls = logGitCalls(bin);
    vi.stubEnv('PATH', `${bin}:${process.env.PATH}`);
    return calls;
  };

  /**
   * Waits until the file system's clock is past every change under `root`, as a workspace is
   * between two turns: a capture trusts only stamps older than its own clock (racy git).
   */
  const settle = async (root: string, paths: string[]) => {
    let newest = 0n;
    for (const path of paths) {
      const info = statSync(join(root, path), { bigint: true });
      for (const ns of [info.mtimeNs, info.ctimeNs]) if (ns > newest) newest = ns;
    }
    const probe = join(folder(), 'probe');
    await pollUntil(
      () => {
        writeFileSync(probe, '');
        return statSync(probe, { bigint: true }).mtimeNs > newest;
      },
      'the file-system clock to pass the last change',
      { intervalMs: 5 },
    );
  };

  const workspace = async () => {
    const root = folder();
    mkdirSync(join(root, 'src', 'lib'), { recursive: true });
    mkdirSync(join(root, 'empty'));
    mkdirSync(join(root, 'cache'));
    mkdirSync(join(root, 'build'));
    writeFileSync(join(root, 'src', 'lib', 'a.ts'), 'a\n');
    writeFileSync(join(root, 'src', 'b.ts'), 'b\n');
    writeFileSync(join(root, 'build', 'out.js'), 'out\n');
    writeFileSync(join(root, '.gitignore'), 'build/\ncache/\n');
    await CheckpointStore.open(root);
    await settle(root, ['', '.oxydra', 'src', 'src/lib', 'empty', 'cache', 'build', '.gitignore']);
    return root;
  };

  it('a store opened again snapshots without git, empty and ignored folders included', async () => {
    const root = await workspace();
    const first = await (await CheckpointStore.open(root)).snapshot('first');
    writeFileSync(join(root, 'src', 'b.ts'), 'b2\n');
    const gitCommands = logGit();

    const store = await CheckpointStore.open(root);
    const second = await store.snapshot('second');

    // Before: `symbolic-ref` at every open, and `check-ignore` for build/, cache/ and empty/.
    expect(gitCommands()).toEqual([]);
    expect(second.changed).toBe(1);
    expect(await store.diff(first.id, second.id)).toEqual([{ path: 'src/b.ts', status: 'modified' }]);
  });

  it('a store that lived on snapshots after another process did, without git, from its checkpoint', async () => {
    const root = await workspace();
    const gateway = await CheckpointStore.open(root);
    await gateway.snapshot('first');
    writeFileSync(join(root, 'src', 'b.ts'), 'b2\n');
    const run = await (await CheckpointStore.open(root)).snapshot('by another process');
    writeFileSync(join(root, 'src', 'lib', 'a.ts'), 'a2\n');
    const gitCommands = logGit();

    const third = await gateway.snapshot('third');

    // Before: `ls-tree` and `cat-file` for the state of the other process's checkpoint.
    expect(gitCommands()).toEqual([]);
    expect(third.parent).toBe(run.id);
    expect(third.changed).toBe(1);
    expect(await gateway.diff(run.id, third.id)).toEqual([{ path: 'src/lib/a.ts', status: 'modified' }]);
  });

  it('never writes the kept cache through a link or into a FIFO standing in its place', async () => {
    const root = await workspace();
    const store = await CheckpointStore.open(root);
    const cache = join(store.gitDir, 'oxydra-capture-cache.json');
    const outside = join(folder(), 'outside.txt');
    writeFileSync(outside, 'untouched\n');
    symlinkSync(outside, cache);
    await store.snapshot('first');
    expect(readFileSync(outside, 'utf8')).toBe('untouched\n');
    expect(lstatSync(cache).isFile()).toBe(true);

    rmSync(cache);
    execFileSync('mkfifo', [cache]);
    writeFileSync(join(root, 'src', 'b.ts'), 'b2\n');
    // Opened without blocking: a FIFO with no reader would hold the snapshot forever.
    const second = await (await CheckpointStore.open(root)).snapshot('second');
    expect(second.changed).toBe(1);
    expect(lstatSync(cache).isFile()).toBe(true);
  });

  it('never truncates through a link nor waits on a FIFO standing at the capture clock file', async () => {
    const root = await workspace();
    const store = await CheckpointStore.open(root);
    await store.snapshot('first');
    const clock = join(store.gitDir, 'oxydra-capture-clock');
    const outside = join(folder(), 'outside.txt');
    writeFileSync(outside, 'untouched\n');
    rmSync(clock, { force: true });
    symlinkSync(outside, clock);
    writeFileSync(join(root, 'src', 'b.ts'), 'b2\n');
    expect((await store.snapshot('second')).changed).toBe(1);
    // Before: the link's target was truncated (writeFileSync follows it).
    expect(readFileSync(outside, 'utf8')).toBe('untouched\n');
    expect(lstatSync(clock).isFile()).toBe(true);

    rmSync(clock);
    execFileSync('mkfifo', [clock]);
    writeFileSync(join(root, 'src', 'b.ts'), 'b3\n');
    // Before: opened for writing with no reader, the snapshot waited forever.
    expect((await store.snapshot('third')).changed).toBe(1);
    expect(lstatSync(clock).isFile()).toBe(true);
  });

  it('asks again which folders are ignored once an ignore file changed', async () => {
    const root = await workspace();
    const first = await (await CheckpointStore.open(root)).snapshot('first');
    writeFileSync(join(root, '.gitignore'), 'build/\n');

    const second = await (await CheckpointStore.open(root)).snapshot('second');

    // cache/ is empty: only the folder's own entry says it is no longer ignored.
    expect(await (await CheckpointStore.open(root)).diff(first.id, second.id)).toEqual([
      { path: '.gitignore', status: 'modified' },
      { path: 'cache/', status: 'added' },
    ]);
  });
});
