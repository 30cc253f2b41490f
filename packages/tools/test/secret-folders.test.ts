import { join } from 'node:path';
import { homeSecretPaths } from '@oxydra/sandbox';
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
});
