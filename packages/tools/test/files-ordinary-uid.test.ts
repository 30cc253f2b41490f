/**
 * The same guarantees for an ordinary user: CI runs as root, which bypasses permission checks,
 * and `/proc/self/fd` (what the file tools confirm opened paths with, and reach names through)
 * must work just the same without them. A child process, switched to uid 65534 with setpriv,
 * runs the built tools (`npm test` builds them first) against a FIFO, a socket-free workspace
 * and a folder swapped for a link between the check and the use.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** The atomic write is not in the package index (file_write loads it at its first call). */
const ATOMIC_WRITE = fileURLToPath(new URL('../dist/fs/atomic-write.js', import.meta.url));
const NOBODY = 65534;
const canSwitch =
  process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0 && existsSync(DIST);

// Run as the ordinary user; prints one JSON line of what each tool answered.
const SCRIPT = `
import { renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
const tools = await import(process.env.DIST);
const { atomicWrite } = await import(process.env.ATOMIC_WRITE);
const root = process.env.WS;
const registry = new tools.ToolRegistry(tools.createCoreTools({ shell: { enabled: false, allow: [], deny: [],
  allow_operators: false, env_keys: [], command_timeout_secs: 1 } }), { approval: 'auto' });
const call = async (name, args) => (await registry.execute({ id: 'c', name, arguments: args },
  { workspace: root, signal: new AbortController().signal })).content;
const out = {
  fifo: await call('file_read', { path: 'pipe' }),
  write: await call('file_write', { path: 'sub/new.txt', content: 'ok' }),
  read: await call('file_read', { path: 'sub/new.txt' }),
};
const target = await tools.resolveWorkspacePath(root, 'sub/deep/x.txt');
renameSync(join(root, 'sub'), join(root, 'sub.parked'));
symlinkSync(process.env.ELSEWHERE, join(root, 'sub'));
out.swapped = await atomicWrite(target, 'pwned').then(() => 'written', (error) => error.message);
console.log(JSON.stringify(out));
`;

let base: string | undefined;
afterEach(() => {
  if (base) rmSync(base, { recursive: true, force: true });
  base = undefined;
});

describe.skipIf(!canSwitch)('file tools as an ordinary user (uid 65534)', () => {
  it('refuse a FIFO, write and read inside, and never follow a folder swapped for a link', () => {
    base = mkdtempSync(join(tmpdir(), 'oxydra-uid-'));
    const ws = join(base, 'ws');
    const elsewhere = join(base, 'elsewhere');
    for (const dir of [
      base,
      ws,
      join(ws, 'sub'),
      join(ws, 'sub', 'deep'),
      elsewhere,
      join(elsewhere, 'deep'),
    ]) {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, NOBODY, NOBODY);
    }
    expect(
      spawnSync('setpriv', [
        '--reuid',
        `${NOBODY}`,
        '--regid',
        `${NOBODY}`,
        '--clear-groups',
        'mkfifo',
        join(ws, 'pipe'),
      ]).status,
    ).toBe(0);
    writeFileSync(join(elsewhere, 'deep', 'x.txt'), 'outside\n');
    chownSync(join(elsewhere, 'deep', 'x.txt'), NOBODY, NOBODY);

    const run = spawnSync(
      'setpriv',
      [
        '--reuid',
        `${NOBODY}`,
        '--regid',
        `${NOBODY}`,
        '--clear-groups',
        process.execPath,
        '--input-type=module',
        '-e',
        SCRIPT,
      ],
      {
        env: { PATH: process.env.PATH ?? '', DIST, ATOMIC_WRITE, WS: ws, ELSEWHERE: elsewhere },
        encoding: 'utf8',
        timeout: 20_000,
        killSignal: 'SIGKILL',
      },
    );
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout.trim()) as Record<string, string>;
    expect(out.fifo).toContain('not a regular file (FIFO): pipe');
    expect(out.write).toBe('Created sub/new.txt (2 bytes written).');
    expect(out.read).toBe('ok');
    expect(out.swapped).toBe('path escapes the workspace: sub/deep/x.txt (a symbolic link leads outside it)');
    expect(readFileSync(join(elsewhere, 'deep', 'x.txt'), 'utf8')).toBe('outside\n');
  });
});
