import { chmodSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWrite } from '../src/fs/atomic-write.js';
import { resolveWorkspacePath } from '../src/index.js';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';

let ws: Workspace;
const registry = coreRegistry();
const call = (name: string, args: Record<string, unknown>) => callTool(registry, ws.root, name, args);

beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('file_write', () => {
  it('creates a file and its missing folders, reporting the bytes', async () => {
    const outcome = await call('file_write', { path: 'a/b/c.txt', content: 'héllo' });
    expect(outcome).toMatchObject({ isError: false, content: 'Created a/b/c.txt (6 bytes written).' });
    expect(ws.read('a/b/c.txt')).toBe('héllo');
  });

  it('replaces an existing file, keeping its permissions, and leaves no temporary files', async () => {
    const path = ws.write('run.sh', 'old');
    chmodSync(path, 0o751);
    const outcome = await call('file_write', { path: 'run.sh', content: '#!/bin/sh\necho new\n' });
    expect(outcome.content).toBe('Replaced run.sh (19 bytes written).');
    expect(ws.read('run.sh')).toBe('#!/bin/sh\necho new\n');
    expect(statSync(path).mode & 0o777).toBe(0o751);
    expect(readdirSync(ws.root)).toEqual(['run.sh']);
  });

  it('writes through a symlink inside the workspace, keeping the link', async () => {
    ws.write('real.txt', 'old');
    symlinkSync(join(ws.root, 'real.txt'), join(ws.root, 'link.txt'));
    await call('file_write', { path: 'link.txt', content: 'new' });
    expect(lstatSync(join(ws.root, 'link.txt')).isSymbolicLink()).toBe(true);
    expect(ws.read('real.txt')).toBe('new');
  });

  it('refuses directories, the root and paths outside', async () => {
    ws.write('dir/x', '');
    expect((await call('file_write', { path: 'dir', content: 'x' })).content).toBe(
      'Tool execution failed: is a directory: dir',
    );
    expect((await call('file_write', { path: '.', content: 'x' })).content).toBe(
      'Tool execution failed: path names the workspace root, not a file',
    );
    const outsideWrite = await call('file_write', { path: '../outside/x.txt', content: 'x' });
    expect(outsideWrite.content).toContain('path escapes the workspace: ../outside/x.txt');
    symlinkSync(ws.outside, join(ws.root, 'out'));
    expect((await call('file_write', { path: 'out/new.txt', content: 'x' })).content).toContain(
      'path escapes the workspace: out/new.txt',
    );
    expect(readdirSync(ws.outside)).toEqual([]);
  });
});

describe('atomicWrite', () => {
  it('refuses to replace a folder and leaves nothing behind', async () => {
    ws.write('target/inner', '');
    await expect(atomicWrite(await resolveWorkspacePath(ws.root, 'target'), 'x')).rejects.toThrow(
      'is a directory',
    );
    expect(readdirSync(ws.root)).toEqual(['target']);
    expect(readdirSync(join(ws.root, 'target'))).toEqual(['inner']);
  });

  it('leaves no temporary files after many writes to one folder', async () => {
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) =>
        atomicWrite(await resolveWorkspacePath(ws.root, `f${i % 5}.txt`), `v${i}`),
      ),
    );
    expect(readdirSync(ws.root).sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt']);
    expect(readFileSync(join(ws.root, 'f0.txt'), 'utf8')).toMatch(/^v(0|5|10|15)$/);
  });
});
