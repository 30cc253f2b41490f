import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';

const SECRET = 'vault-only-needle-91c2';
const DENIED = 'the vault is readable only through vault_copyto';

describe.each(['inside', 'outside'] as const)('file tools and a vault %s the workspace', (layout) => {
  let ws: Workspace;
  let vault: string;
  /** How the model would name the vault with the workspace tools. */
  let named: string;
  beforeEach(() => {
    ws = makeWorkspace();
    vault = layout === 'inside' ? join(ws.root, 'secrets') : join(ws.base, 'vault');
    named = layout === 'inside' ? 'secrets' : '../vault';
    mkdirSync(vault, { recursive: true });
    writeFileSync(join(vault, 'key.txt'), `${SECRET}\n`);
    ws.write('notes.txt', 'nothing here\n');
  });
  afterEach(() => ws.cleanup());

  const registry = () => coreRegistry({ vault: { path: vault }, search: { backend: 'js' } });
  const refused = async (name: string, args: Record<string, unknown>) => {
    const outcome = await callTool(registry(), ws.root, name, args);
    expect(outcome.isError, `${name} ${JSON.stringify(args)}: ${outcome.content}`).toBe(true);
    expect(outcome.content).not.toContain(SECRET);
    return outcome.content;
  };
  const expectedMessage = layout === 'inside' ? DENIED : 'escapes the workspace';

  it('file_read, file_list, file_search, file_write, file_edit, file_delete refuse it', async () => {
    expect(await refused('file_read', { path: `${named}/key.txt` })).toContain(expectedMessage);
    expect(await refused('file_read', { path: join(vault, 'key.txt') })).toContain(expectedMessage);
    expect(await refused('file_list', { path: named })).toContain(expectedMessage);
    expect(await refused('file_search', { path: named, query: SECRET })).toContain(expectedMessage);
    expect(await refused('file_write', { path: `${named}/new.txt`, content: 'x' })).toContain(
      expectedMessage,
    );
    expect(
      await refused('file_edit', { path: `${named}/key.txt`, old_text: SECRET, new_text: 'y' }),
    ).toContain(expectedMessage);
    expect(await refused('file_delete', { path: `${named}/key.txt` })).toContain(expectedMessage);
    expect(await refused('file_delete', { path: named })).toContain(expectedMessage);
    expect(readFileSync(join(vault, 'key.txt'), 'utf8')).toBe(`${SECRET}\n`);
  });

  it('a link from the workspace into the vault is refused as the vault', async () => {
    symlinkSync(vault, join(ws.root, 'via'));
    expect(await refused('file_read', { path: 'via/key.txt' })).toContain(DENIED);
    expect(await refused('file_list', { path: 'via' })).toContain(DENIED);
  });

  it('searching the whole workspace never shows vault lines', async () => {
    const outcome = await callTool(registry(), ws.root, 'file_search', { path: '.', query: SECRET });
    expect(outcome.isError).toBe(false);
    // The query is echoed in "No matches for …", so look for the match line instead.
    expect(outcome.content).not.toContain('key.txt');
    expect(outcome.content).toMatch(/^No matches/);
  });

  it('other workspace files stay usable, and vault_copyto still works', async () => {
    const read = await callTool(registry(), ws.root, 'file_read', { path: 'notes.txt' });
    expect(read.content).toBe('nothing here\n');
    const copy = await callTool(registry(), ws.root, 'vault_copyto', {
      source_path: '/vault/key.txt',
      destination_path: 'copied.txt',
    });
    expect(copy.content).toBe(`Copied /vault/key.txt (${SECRET.length + 1} bytes) to copied.txt`);
    expect(ws.read('copied.txt')).toBe(`${SECRET}\n`);
  });

  it('vault_copyto cannot write into the vault', async () => {
    const outcome = await callTool(registry(), ws.root, 'vault_copyto', {
      source_path: '/vault/key.txt',
      destination_path: `${named}/again.txt`,
    });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toContain(expectedMessage);
  });
});

describe('a vault inside the workspace', () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = makeWorkspace();
    ws.write('data/secrets/key.txt', `${SECRET}\n`);
  });
  afterEach(() => ws.cleanup());

  it('cannot be deleted with a folder that holds it', async () => {
    const registry = coreRegistry({ vault: { path: join(ws.root, 'data', 'secrets') } });
    const outcome = await callTool(registry, ws.root, 'file_delete', { path: 'data' });
    expect(outcome.isError).toBe(true);
    expect(ws.read('data/secrets/key.txt')).toBe(`${SECRET}\n`);
  });

  it('is hidden from file_search with ripgrep too, when installed', async () => {
    const registry = coreRegistry({ vault: { path: join(ws.root, 'data', 'secrets') } });
    const outcome = await callTool(registry, ws.root, 'file_search', { path: 'data', query: SECRET });
    expect(outcome.content).not.toContain('key.txt');
    expect(outcome.content).toMatch(/^No matches/);
  });

  it('without a vault configured the same folder is an ordinary one', async () => {
    const outcome = await callTool(coreRegistry(), ws.root, 'file_read', { path: 'data/secrets/key.txt' });
    expect(outcome.content).toBe(`${SECRET}\n`);
  });
});
