import { mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveWorkspacePath, WorkspacePathError } from '../src/index.js';
import { makeWorkspace, type Workspace } from './helpers.js';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

const real = () => realpathSync(ws.root);

describe('resolveWorkspacePath', () => {
  it('resolves relative paths against the workspace root', async () => {
    ws.write('src/a.ts', 'x');
    const resolved = await resolveWorkspacePath(ws.root, 'src/a.ts');
    expect(resolved).toMatchObject({
      absolute: join(ws.root, 'src/a.ts'),
      real: join(real(), 'src/a.ts'),
      relative: 'src/a.ts',
    });
    expect((await resolveWorkspacePath(ws.root, '')).relative).toBe('.');
    expect((await resolveWorkspacePath(ws.root, './src/../src/a.ts')).relative).toBe('src/a.ts');
  });

  it('accepts not-yet-existing paths inside the workspace', async () => {
    const resolved = await resolveWorkspacePath(ws.root, 'new/dir/file.txt');
    expect(resolved.real).toBe(join(real(), 'new/dir/file.txt'));
  });

  it('refuses .. escapes with a clear message', async () => {
    await expect(resolveWorkspacePath(ws.root, '../x')).rejects.toThrow('path escapes the workspace: ../x');
    await expect(resolveWorkspacePath(ws.root, 'a/../../outside/y')).rejects.toBeInstanceOf(
      WorkspacePathError,
    );
  });

  it('allows absolute paths only inside the workspace', async () => {
    ws.write('a.txt', 'x');
    expect((await resolveWorkspacePath(ws.root, join(ws.root, 'a.txt'))).relative).toBe('a.txt');
    expect((await resolveWorkspacePath(ws.root, join(real(), 'a.txt'))).relative).toBe('a.txt');
    await expect(resolveWorkspacePath(ws.root, '/etc/passwd')).rejects.toThrow(
      'path escapes the workspace: /etc/passwd',
    );
    await expect(resolveWorkspacePath(ws.root, `${ws.root}-sibling/a`)).rejects.toThrow(
      'path escapes the workspace',
    );
  });

  it('refuses symlinks that lead outside, for existing and new files', async () => {
    symlinkSync(ws.outside, join(ws.root, 'out'));
    await expect(resolveWorkspacePath(ws.root, 'out')).rejects.toThrow(
      'path escapes the workspace: out (a symbolic link leads outside it)',
    );
    await expect(resolveWorkspacePath(ws.root, 'out/new.txt')).rejects.toThrow(
      'path escapes the workspace: out/new.txt',
    );
    await expect(resolveWorkspacePath(ws.root, 'out/deeper/new.txt')).rejects.toThrow(
      'path escapes the workspace',
    );
  });

  it('follows dangling symlinks by hand: a write through one must not escape', async () => {
    symlinkSync(join(ws.outside, 'missing.txt'), join(ws.root, 'dangling'));
    await expect(resolveWorkspacePath(ws.root, 'dangling')).rejects.toThrow(
      'path escapes the workspace: dangling',
    );
    symlinkSync(join(ws.outside, 'missing-dir'), join(ws.root, 'dangling-dir'));
    await expect(resolveWorkspacePath(ws.root, 'dangling-dir/file')).rejects.toThrow(
      'path escapes the workspace',
    );
  });

  it('allows symlinks that stay inside the workspace, resolving to the target', async () => {
    ws.write('real/a.txt', 'x');
    symlinkSync(join(ws.root, 'real'), join(ws.root, 'alias'));
    const resolved = await resolveWorkspacePath(ws.root, 'alias/a.txt');
    expect(resolved.real).toBe(join(real(), 'real/a.txt'));
    expect(resolved.absolute).toBe(join(ws.root, 'alias/a.txt'));
    expect(resolved.relative).toBe('alias/a.txt');
  });

  it("refuses Oxydra's own .oxydra folder", async () => {
    mkdirSync(join(ws.root, '.oxydra'));
    await expect(resolveWorkspacePath(ws.root, '.oxydra/agent.toml')).rejects.toThrow(
      'path is inside .oxydra/',
    );
    symlinkSync(join(ws.root, '.oxydra'), join(ws.root, 'config-link'));
    await expect(resolveWorkspacePath(ws.root, 'config-link/agent.toml')).rejects.toThrow(
      'path is inside .oxydra/',
    );
    // A file merely named like it is fine.
    expect((await resolveWorkspacePath(ws.root, 'docs/.oxydra')).relative).toBe('docs/.oxydra');
  });

  it('reports a symlink loop instead of hanging', async () => {
    symlinkSync(join(ws.root, 'loop-b'), join(ws.root, 'loop-a'));
    symlinkSync(join(ws.root, 'loop-a'), join(ws.root, 'loop-b'));
    await expect(resolveWorkspacePath(ws.root, 'loop-a/x')).rejects.toThrow(
      'too many symbolic links: loop-a/x',
    );
  });
});
