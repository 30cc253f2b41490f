import { existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
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

describe('file_delete', () => {
  it('deletes a file', async () => {
    ws.write('a.txt', 'x');
    expect((await call('file_delete', { path: 'a.txt' })).content).toBe('Deleted file a.txt.');
    expect(existsSync(join(ws.root, 'a.txt'))).toBe(false);
  });

  it('deletes a folder recursively', async () => {
    ws.write('d/e/f.txt', 'x');
    expect((await call('file_delete', { path: 'd' })).content).toBe('Deleted folder d.');
    expect(readdirSync(ws.root)).toEqual([]);
  });

  it('removes a link, not its target', async () => {
    ws.write('target/keep.txt', 'x');
    symlinkSync(join(ws.root, 'target'), join(ws.root, 'link'));
    expect((await call('file_delete', { path: 'link' })).content).toBe('Deleted link link.');
    expect(ws.read('target/keep.txt')).toBe('x');
  });

  it('refuses the workspace root, however it is spelled', async () => {
    for (const path of ['.', '', 'a/..', ws.root]) {
      const outcome = await call('file_delete', { path });
      expect(outcome).toMatchObject({
        isError: true,
        content: 'Tool execution failed: refusing to delete the workspace root',
      });
    }
    expect(existsSync(ws.root)).toBe(true);
  });

  it('refuses escapes and reports missing paths', async () => {
    writeFileSync(join(ws.outside, 'victim.txt'), 'x');
    expect((await call('file_delete', { path: '../outside/victim.txt' })).content).toContain(
      'path escapes the workspace',
    );
    expect(existsSync(join(ws.outside, 'victim.txt'))).toBe(true);
    expect((await call('file_delete', { path: 'ghost' })).content).toBe(
      'Tool execution failed: no such file or directory: ghost',
    );
  });
});
