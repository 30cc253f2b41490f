/**
 * FIFOs, devices and sockets given to the file tools: each is refused at once with a clear
 * error, and none holds a thread-pool thread (a FIFO opened for reading used to block one until
 * a writer came; four of them starved every later file operation of the process).
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCoreTools, ToolRegistry } from '../src/index.js';
import { callTool, coreRegistry, makeWorkspace, shellConfig, type Workspace } from './helpers.js';

const hasRg = spawnSync('rg', ['--version']).status === 0;

let ws: Workspace;
let vault: string;
const fifos: string[] = [];

function mkfifo(path: string): string {
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  fifos.push(path);
  return path;
}

/** /dev/null's numbers: harmless to read if a tool wrongly opened it. Needs CAP_MKNOD (root). */
function mknodNull(path: string): boolean {
  return spawnSync('mknod', [path, 'c', '1', '3']).status === 0;
}

beforeEach(() => {
  ws = makeWorkspace();
  vault = join(ws.base, 'vault');
  mkdirSync(vault);
  ws.write('normal.txt', 'plain text\n');
});

afterEach(() => {
  // Were a tool blocked opening a FIFO (the bug), a writer end releases it, so one failing test
  // does not leave pool threads stuck for the rest of the file.
  for (const fifo of fifos.splice(0)) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting: nothing to release
    }
  }
  ws.cleanup();
});

const registry = (backend: 'js' | 'rg' = 'js') =>
  coreRegistry({ vault: { path: vault }, search: { backend } });
const call = (name: string, args: Record<string, unknown>, backend?: 'js' | 'rg') =>
  callTool(registry(backend), ws.root, name, args);

/** The tools that open the file they are given, each called on `path`. */
const openingCalls = (path: string): [string, Record<string, unknown>][] => [
  ['file_read', { path }],
  ['file_edit', { path, old_text: 'a', new_text: 'b' }],
  ['file_write', { path, content: 'x' }],
  ['file_search', { path, query: 'x' }],
];

const refusal = (kind: string, shown: string) =>
  `not a regular file (${kind}): ${shown}; file tools read and write regular files only`;

/** The call on `args.path` is refused as that kind of file, which is still there, unchanged in kind. */
async function expectRefusedAndKept(
  name: string,
  args: Record<string, unknown>,
  kind: string,
  stillIs: (info: Stats) => boolean,
): Promise<void> {
  const path = String(args.path);
  const outcome = await call(name, args);
  expect(outcome).toMatchObject({ isError: true });
  expect(outcome.content).toContain(refusal(kind, path));
  expect(stillIs(lstatSync(join(ws.root, path)))).toBe(true);
}

describe('a FIFO in the workspace', () => {
  beforeEach(() => {
    mkfifo(join(ws.root, 'pipe'));
  });

  it.each(openingCalls('pipe'))('%s refuses it at once', async (name, args) => {
    await expectRefusedAndKept(name, args, 'FIFO', (info) => info.isFIFO());
  });

  it.skipIf(!hasRg)('file_search with ripgrep refuses it (rg would open it and wait)', async () => {
    const outcome = await call('file_search', { path: 'pipe', query: 'x' }, 'rg');
    expect(outcome.content).toContain(refusal('FIFO', 'pipe'));
  });

  it('file_list says it is not a directory', async () => {
    const outcome = await call('file_list', { path: 'pipe' });
    expect(outcome).toMatchObject({ isError: true });
    expect(outcome.content).toContain('pipe is not a directory (FIFO); file_list lists directories only');
  });

  it('file_search (js) of the folder skips it, even as .gitignore, and finds the rest', async () => {
    mkfifo(join(ws.root, '.gitignore'));
    const outcome = await call('file_search', { path: '.', query: 'plain' });
    expect(outcome).toMatchObject({ isError: false, content: 'normal.txt:1: plain text' });
  });

  // ripgrep opens ignore files itself and waits on a FIFO one: the wait is its own process's,
  // ended by the tool's timeout, which kills it; no thread of ours is held meanwhile.
  it.skipIf(!hasRg)('file_search (rg) held by a FIFO .gitignore ends at its timeout', async () => {
    mkfifo(join(ws.root, '.gitignore'));
    const reg = new ToolRegistry(createCoreTools({ shell: shellConfig(), search: { backend: 'rg' } }), {
      approval: 'auto',
      defaultTimeoutMs: 200,
    });
    const outcome = await callTool(reg, ws.root, 'file_search', { path: '.', query: 'plain' });
    expect(outcome).toMatchObject({ isError: true, content: 'file_search timed out after 0.2 s' });
    expect((await callTool(reg, ws.root, 'file_read', { path: 'normal.txt' })).content).toBe('plain text\n');
  });

  it('file_delete removes it without opening it', async () => {
    const outcome = await call('file_delete', { path: 'pipe' });
    expect(outcome).toMatchObject({ isError: false, content: 'Deleted file pipe.' });
    expect(existsSync(join(ws.root, 'pipe'))).toBe(false);
  });

  it('vault_copyto refuses a FIFO in the vault', async () => {
    mkfifo(join(vault, 'pipe'));
    const outcome = await call('vault_copyto', { source_path: '/vault/pipe', destination_path: 'copy.txt' });
    expect(outcome.content).toContain(refusal('FIFO', '/vault/pipe'));
    expect(existsSync(join(ws.root, 'copy.txt'))).toBe(false);
  });
});

describe('the thread pool', () => {
  it('stays free: FIFO reads in parallel, more than its four threads, then every file tool still works', async () => {
    const reg = registry();
    const pipes = Array.from({ length: 6 }, (_, i) => mkfifo(join(ws.root, `p${i}`)));
    const outcomes = await Promise.all(
      pipes.map((_, i) => callTool(reg, ws.root, 'file_read', { path: `p${i}` })),
    );
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome.content).toContain(refusal('FIFO', `p${i}`));
    }
    expect((await callTool(reg, ws.root, 'file_read', { path: 'normal.txt' })).content).toBe('plain text\n');
    expect((await callTool(reg, ws.root, 'file_write', { path: 'after.txt', content: 'ok' })).isError).toBe(
      false,
    );
    expect(await readFile(join(ws.root, 'after.txt'), 'utf8')).toBe('ok');
  });
});

describe('a socket in the workspace', () => {
  let server: Server;
  beforeEach(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(join(ws.root, 'sock'), resolve));
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each(openingCalls('sock'))('%s refuses it, naming no host path', async (name, args) => {
    const outcome = await call(name, args);
    expect(outcome).toMatchObject({ isError: true });
    expect(outcome.content).toContain('not a regular file');
    expect(outcome.content).toContain('sock');
    expect(outcome.content).not.toContain(ws.root);
    expect(lstatSync(join(ws.root, 'sock')).isSocket()).toBe(true);
  });
});

// Making a device node needs CAP_MKNOD: CI runs as root; elsewhere these cases cannot be set up.
const canMknod = (() => {
  const probe = makeWorkspace();
  try {
    return mknodNull(join(probe.base, 'probe'));
  } finally {
    probe.cleanup();
  }
})();

describe.skipIf(!canMknod)('a character device in the workspace', () => {
  beforeEach(() => {
    mknodNull(join(ws.root, 'null'));
  });

  it.each(openingCalls('null'))('%s refuses it', async (name, args) => {
    await expectRefusedAndKept(name, args, 'character device', (info) => info.isCharacterDevice());
  });

  it('vault_copyto refuses one in the vault', async () => {
    mknodNull(join(vault, 'null'));
    writeFileSync(join(ws.root, 'copy.txt'), 'kept');
    const outcome = await call('vault_copyto', { source_path: '/vault/null', destination_path: 'copy.txt' });
    expect(outcome.content).toContain(refusal('character device', '/vault/null'));
    expect(ws.read('copy.txt')).toBe('kept');
  });
});
