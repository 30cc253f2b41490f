import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';

let ws: Workspace;
const registry = coreRegistry();
const call = (name: string, args: Record<string, unknown>) => callTool(registry, ws.root, name, args);

beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('file_list', () => {
  it('lists sorted entries, folders with a trailing slash, skipping .git and .oxydra', async () => {
    ws.write('b.txt', '');
    ws.write('a/x', '');
    ws.write('.env', '');
    ws.write('.git/HEAD', '');
    ws.write('.oxydra/agent.toml', '');
    symlinkSync(join(ws.root, 'a'), join(ws.root, 'c-link'));
    expect((await call('file_list', {})).content).toBe('.env\na/\nb.txt\nc-link/');
    expect((await call('file_list', { path: 'a' })).content).toBe('x');
  });

  it('caps long listings and says so', async () => {
    for (let i = 0; i < 1005; i++) ws.write(`many/f${String(i).padStart(4, '0')}`, '');
    const lines = (await call('file_list', { path: 'many' })).content.split('\n');
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toBe('f0000');
    expect(lines[1000]).toBe('[showing 1000 of 1005 entries; list a subdirectory to see more]');
  });

  it('explains empty folders, files and missing paths', async () => {
    ws.write('empty/.git/x', '');
    ws.write('file.txt', '');
    expect((await call('file_list', { path: 'empty' })).content).toBe('empty is empty.');
    expect((await call('file_list', { path: 'file.txt' })).content).toBe(
      'Tool execution failed: file.txt is a file, not a directory; read it with file_read',
    );
    expect((await call('file_list', { path: 'nowhere' })).content).toBe(
      'Tool execution failed: no such file or directory: nowhere',
    );
    expect((await call('file_list', { path: '..' })).content).toContain('path escapes the workspace: ..');
  });
});
