/**
 * deferredMemory: the file is created and migrated by the first statement, once however many
 * arrive together, never by closing an unused database; the session store says which it is.
 */
import { existsSync } from 'node:fs';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { deferredMemory, LATEST_SCHEMA_VERSION, openMemory, schemaVersion } from '../src/index.js';

const workspaces: TempWorkspace[] = [];
afterEach(() => {
  for (const workspace of workspaces.splice(0)) workspace.cleanup();
});
function newPath(): string {
  const workspace = tempWorkspace({ prefix: 'oxydra-deferred-' });
  workspaces.push(workspace);
  return workspace.path('sub', 'memory.db');
}

describe('deferredMemory', () => {
  it('creates nothing until the first statement, and nothing when closed unused', async () => {
    const path = newPath();
    let claims = 0;
    const memory = deferredMemory({ path, beforeCreate: () => claims++ });
    expect(memory.sessions.exists?.()).toBe(false);
    await memory.close();
    expect(existsSync(path)).toBe(false);
    expect(claims).toBe(0);
    await expect(memory.sessions.list()).rejects.toThrow('closed');
    expect(existsSync(path)).toBe(false);
  });

  it('creates and migrates the file once for statements that arrive together', async () => {
    const path = newPath();
    let claims = 0;
    const memory = deferredMemory({ path, beforeCreate: () => claims++ });
    const [session, listed, notes] = await Promise.all([
      memory.sessions.create({ title: 'first' }),
      memory.sessions.list(),
      memory.notes.list(),
    ]);
    expect(claims).toBe(1);
    expect(session.title).toBe('first');
    expect(listed).toEqual([]);
    expect(notes).toEqual([]);
    expect(memory.sessions.exists?.()).toBe(true);
    expect(await schemaVersion(memory.client)).toBe(LATEST_SCHEMA_VERSION);
    await memory.close();

    const reopened = await openMemory({ path });
    expect((await reopened.sessions.get(session.id))?.title).toBe('first');
    await reopened.close();
  });
});
