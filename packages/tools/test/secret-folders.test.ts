import fs, { mkdirSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { homeSecretPaths } from '@oxydra/sandbox';
import { homeGuardedPaths } from '@oxydra/sandbox/detect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('secrets folders inside the workspace (a workspace that is the home directory)', () => {
  it('every file tool refuses them, as the sandbox hides them from commands', async () => {
    ws.write('.ssh/id_ed25519', 'SSH-PRIVATE-KEY');
    ws.write('.aws/credentials', 'AWS-SECRET');
    ws.write('notes.txt', 'ordinary');
    // The workspace plays the home directory: its secrets folders are the denied ones.
    const tools = coreRegistry({ secretPaths: homeSecretPaths(ws.root) });
    const calls: [string, Record<string, unknown>][] = [
      ['file_read', { path: '.ssh/id_ed25519' }],
      ['file_read', { path: join(ws.root, '.aws/credentials') }],
      ['file_list', { path: '.ssh' }],
      ['file_write', { path: '.ssh/authorized_keys', content: 'ssh-ed25519 attacker' }],
      ['file_edit', { path: '.aws/credentials', old_text: 'AWS', new_text: 'X' }],
      ['file_delete', { path: '.ssh' }],
      ['file_search', { path: '.ssh', query: 'KEY' }],
    ];
    for (const [name, args] of calls) {
      const outcome = await callTool(tools, ws.root, name, args);
      expect(outcome.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(outcome.content).toMatch(/secrets folder/);
      expect(outcome.content).not.toMatch(/SSH-PRIVATE-KEY|AWS-SECRET/);
    }
    expect(ws.read('.ssh/id_ed25519')).toBe('SSH-PRIVATE-KEY');
    expect(ws.read('.aws/credentials')).toBe('AWS-SECRET');
    const ordinary = await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' });
    expect(ordinary.content).toContain('ordinary');
  });

  it('a search of the whole workspace skips them', async () => {
    ws.write('.ssh/id_ed25519', 'needle in the key');
    ws.write('docs/a.txt', 'needle in the docs');
    const tools = coreRegistry({ secretPaths: homeSecretPaths(ws.root) });
    const outcome = await callTool(tools, ws.root, 'file_search', { path: '.', query: 'needle' });
    expect(outcome.content).toContain('docs/a.txt');
    expect(outcome.content).not.toContain('in the key');
  });

  it('resolves the folders they share once per call, not once per secrets folder', async () => {
    ws.write('.ssh/id_ed25519', 'SSH-PRIVATE-KEY');
    ws.write('notes.txt', 'ordinary');
    // As the kernel denies them in a workspace that holds the home folder (assemble/base.ts).
    const secretPaths = [...homeSecretPaths(ws.root), ...homeGuardedPaths(ws.root, ws.root)];
    const tools = coreRegistry({ secretPaths });
    // realpath walks every component of a path with a readlink each: the call to count.
    const native = realpathSync.native;
    let realpaths = 0;
    realpathSync.native = ((...args: Parameters<typeof native>) => {
      realpaths += 1;
      return native(...args);
    }) as typeof native;
    try {
      const ordinary = await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' });
      expect(ordinary.content).toContain('ordinary');
    } finally {
      realpathSync.native = native;
    }
    expect(secretPaths.length).toBeGreaterThan(10);
    // The file read itself, and the file system root where the walk up from the folders ends.
    expect(realpaths).toBeLessThanOrEqual(3);
    const refused = await callTool(tools, ws.root, 'file_read', { path: '.ssh/id_ed25519' });
    expect(refused.content).toMatch(/secrets folder/);
  });

  it('looks at each secrets folder once a call, and at nothing at or above the workspace root', async () => {
    // The kernel's list, most of it missing (a home folder holding few of them): each missing
    // folder is one lstat; its parent, and the workspace root above it, are known in the call.
    ws.write('notes.txt', 'ordinary');
    const secretPaths = [...homeSecretPaths(ws.root), ...homeGuardedPaths(ws.root, ws.root)];
    const tools = coreRegistry({ secretPaths });
    expect((await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' })).content).toBe('ordinary');
    // The module object, written to (its type says read-only, as for an ES module's exports).
    const writable = fs as { lstatSync: typeof fs.lstatSync };
    const lstatSync = fs.lstatSync;
    const looked: string[] = [];
    writable.lstatSync = ((...args: Parameters<typeof lstatSync>) => {
      looked.push(String(args[0]));
      return lstatSync(...args);
    }) as typeof lstatSync;
    // paths.ts imports lstatSync by name: the ES module's binding follows the change once synced.
    syncBuiltinESMExports();
    try {
      expect((await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' })).content).toBe('ordinary');
    } finally {
      writable.lstatSync = lstatSync;
      syncBuiltinESMExports();
    }
    const atOrAboveRoot = looked.filter((path) => !path.startsWith(`${ws.root}/`));
    expect(atOrAboveRoot).toEqual([]);
    // Each folder looked at once: the secrets folders, the folders between them and the root, and the file.
    expect(looked.length).toBe(new Set(looked).size);
  });

  // The same registry serves every call of a run (and of a gateway's runs): nothing learned at
  // the first call may let a later one through a link or folder made in between.
  describe('links and folders made after the first call', () => {
    it('a link to a secrets folder made mid-run is refused', async () => {
      ws.write('.ssh/id_ed25519', 'SSH-PRIVATE-KEY');
      ws.write('notes.txt', 'ordinary');
      const tools = coreRegistry({ secretPaths: homeSecretPaths(ws.root) });
      expect((await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' })).content).toBe('ordinary');
      symlinkSync(join(ws.root, '.ssh'), join(ws.root, 'keys'));
      const outcome = await callTool(tools, ws.root, 'file_read', { path: 'keys/id_ed25519' });
      expect(outcome.isError).toBe(true);
      expect(outcome.content).toMatch(/secrets folder/);
      expect(outcome.content).not.toContain('SSH-PRIVATE-KEY');
    });

    it('a secrets folder missing at the first call, then made a link to a workspace folder, is refused there', async () => {
      ws.write('notes.txt', 'ordinary');
      const tools = coreRegistry({ secretPaths: homeSecretPaths(ws.root) });
      expect((await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' })).content).toBe('ordinary');
      // ~/.ssh appears as a link to a folder elsewhere in the workspace (dotfiles kept in a repo).
      ws.write('dotfiles/ssh/id_ed25519', 'SSH-PRIVATE-KEY');
      symlinkSync(join(ws.root, 'dotfiles/ssh'), join(ws.root, '.ssh'));
      for (const path of ['dotfiles/ssh/id_ed25519', '.ssh/id_ed25519']) {
        const outcome = await callTool(tools, ws.root, 'file_read', { path });
        expect(outcome.isError, path).toBe(true);
        expect(outcome.content).toMatch(/secrets folder/);
        expect(outcome.content).not.toContain('SSH-PRIVATE-KEY');
      }
    });

    it('a secrets folder whose parent is re-linked after the first call is refused at its new place', async () => {
      // ~/.config/oxydra: its parent ~/.config is moved into a repo and linked back.
      ws.write('.config/oxydra/agent.toml', 'api_key = "SECRET-KEY"');
      ws.write('notes.txt', 'ordinary');
      const tools = coreRegistry({ secretPaths: homeSecretPaths(ws.root) });
      expect((await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' })).content).toBe('ordinary');
      mkdirSync(join(ws.root, 'repo'));
      renameSync(join(ws.root, '.config'), join(ws.root, 'repo/config'));
      symlinkSync(join(ws.root, 'repo/config'), join(ws.root, '.config'));
      const outcome = await callTool(tools, ws.root, 'file_read', { path: 'repo/config/oxydra/agent.toml' });
      expect(outcome.isError).toBe(true);
      expect(outcome.content).toMatch(/secrets folder/);
      expect(outcome.content).not.toContain('SECRET-KEY');
    });

    it('a link out of the workspace made after the first call is refused', async () => {
      ws.write('notes.txt', 'ordinary');
      writeFileSync(join(ws.outside, 'secret.txt'), 'OUTSIDE-SECRET');
      const tools = coreRegistry({ secretPaths: homeSecretPaths(ws.root) });
      expect((await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' })).content).toBe('ordinary');
      symlinkSync(ws.outside, join(ws.root, 'out'));
      const outcome = await callTool(tools, ws.root, 'file_read', { path: 'out/secret.txt' });
      expect(outcome.isError).toBe(true);
      expect(outcome.content).toMatch(/escapes the workspace/);
      expect(outcome.content).not.toContain('OUTSIDE-SECRET');
    });
  });
});

// Secrets folders named outside the workspace (the usual home folder) are resolved once per
// registry and workspace (paths.ts, realDenied): nothing a run does can move them, and while
// they stay outside, a path into them is refused by the escape check whatever the cache says.
describe('secrets folders outside the workspace', () => {
  it('a link into one, made before or after the first call, is refused and names the secrets folder', async () => {
    const home = join(ws.outside, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh/id_ed25519'), 'SSH-PRIVATE-KEY');
    ws.write('notes.txt', 'ordinary');
    const tools = coreRegistry({ secretPaths: homeSecretPaths(home) });
    symlinkSync(join(home, '.ssh'), join(ws.root, 'before'));
    expect((await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' })).content).toBe('ordinary');
    symlinkSync(join(home, '.ssh'), join(ws.root, 'after'));
    for (const path of ['before/id_ed25519', 'after/id_ed25519', join(home, '.ssh/id_ed25519')]) {
      const outcome = await callTool(tools, ws.root, 'file_read', { path });
      expect(outcome.isError, path).toBe(true);
      expect(outcome.content, path).toMatch(/secrets folder|escapes the workspace/);
      expect(outcome.content).not.toContain('SSH-PRIVATE-KEY');
    }
    const linked = await callTool(tools, ws.root, 'file_read', { path: 'after/id_ed25519' });
    expect(linked.content).toMatch(/secrets folder/);
  });

  it('one that resolves into the workspace is checked on every call', async () => {
    // ~/.aws is a link to a folder of the workspace (dotfiles kept in the project).
    const home = join(ws.outside, 'home');
    mkdirSync(home, { recursive: true });
    ws.write('notes.txt', 'ordinary');
    const tools = coreRegistry({ secretPaths: homeSecretPaths(home) });
    expect((await callTool(tools, ws.root, 'file_read', { path: 'notes.txt' })).content).toBe('ordinary');
    ws.write('dotfiles/aws/credentials', 'AWS-SECRET');
    symlinkSync(join(ws.root, 'dotfiles/aws'), join(home, '.aws'));
    const outcome = await callTool(tools, ws.root, 'file_read', { path: 'dotfiles/aws/credentials' });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toMatch(/secrets folder/);
    expect(outcome.content).not.toContain('AWS-SECRET');
  });
});
