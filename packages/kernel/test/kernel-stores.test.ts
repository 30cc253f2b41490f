/**
 * KernelOptions.stores: a store passed in replaces the embedded default, and the kernel's system
 * calls and runs go to it. Here libSQL stores on a file of the test's own, beside (or instead of)
 * the workspace's memory database, so what reaches the default store shows.
 */
import { join } from 'node:path';
import { LibsqlSearchIndex, openMemory } from '@oxydra/memory';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import type { SearchModel } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, ownerSessions, testKernel, text } from './helpers.js';

afterEach(closeAll);

describe('kernel stores passed in', () => {
  it("keeps kernel.service('state') in the StateStore a host passes, even with memory off", async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-kernel-stores-' });
    const dir = scratch.dir;
    const own = await openMemory({ path: join(dir, 'own.db') });
    try {
      const { kernel } = await testKernel(
        [],
        { memory: { enabled: false } },
        { stores: { state: own.state } },
      );
      expect(await (await kernel.service('state')).save('host', 'cursor', { at: 42 })).toEqual({
        version: 1,
      });
      expect(await own.state.load('host', 'cursor')).toMatchObject({ value: { at: 42 }, version: 1 });
      await own.state.save('host', 'cursor', { at: 43 });
      expect((await (await kernel.service('state')).load('host', 'cursor'))?.value).toEqual({ at: 43 });
      expect((await (await kernel.service('state')).list('host')).map((entry) => entry.name)).toEqual([
        'cursor',
      ]);
    } finally {
      await closeAll();
      await own.close();
      scratch.cleanup();
    }
  });

  it("stores an agent's turns in the SessionStore a host passes, not the workspace's database", async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-kernel-stores-' });
    const dir = scratch.dir;
    const own = await openMemory({ path: join(dir, 'own.db') });
    try {
      const { kernel } = await testKernel(
        [text('stored elsewhere')],
        {},
        { stores: { sessions: own.sessions } },
      );
      const result = await kernel.agents.spawn({ prompt: 'hello', userId: 'alice', sessionId: 'mine' })
        .result;
      expect(result.text).toBe('stored elsewhere');
      const ids = await own.sessions.lookup('mine', { userId: 'alice' });
      expect(ids).toHaveLength(1);
      expect((await own.sessions.loadMessages(ids[0]!)).map((message) => message.content)).toEqual([
        'hello',
        'stored elsewhere',
      ]);
      expect(await ownerSessions(kernel)).toBe(own.sessions);
      expect(await kernel.resolveSession('mine', { userId: 'alice' })).toBe(ids[0]);
    } finally {
      await closeAll();
      await own.close();
      scratch.cleanup();
    }
  });

  it('keeps notes in the NoteStore a host passes, and still finds them by search', async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-kernel-stores-' });
    const dir = scratch.dir;
    const own = await openMemory({ path: join(dir, 'own.db') });
    try {
      const { kernel } = await testKernel([], {}, { stores: { notes: own.notes } });
      const saved = await (await kernel.service('memory')).remember('the deploy key lives in the vault', {
        userId: 'alice',
      });
      expect((await own.notes.get(saved.id))?.content).toBe('the deploy key lives in the vault');
      expect(
        (await (await kernel.service('memory')).notes({ userId: 'alice' })).map((note) => note.id),
      ).toEqual([saved.id]);
      const hits = await (await kernel.service('memory')).recall('deploy key vault', { userId: 'alice' });
      expect(hits.map((hit) => hit.text)).toContain('the deploy key lives in the vault');
      expect(await (await kernel.service('memory')).forget(saved.id, { userId: 'alice' })).toBe(true);
      expect(await own.notes.get(saved.id)).toBeUndefined();
    } finally {
      await closeAll();
      await own.close();
      scratch.cleanup();
    }
  });
  it("makes turns searchable in the search index a host passes with its SessionStore, not the workspace's", async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-kernel-stores-' });
    const dir = scratch.dir;
    const own = await openMemory({ path: join(dir, 'own.db') });
    const opened: SearchModel[] = [];
    try {
      const { kernel, workspace } = await testKernel(
        [text('cross at the zebra crossing')],
        {},
        {
          stores: {
            sessions: own.sessions,
            searchIndex: (model) => {
              opened.push(model);
              return new LibsqlSearchIndex(own.client, model);
            },
          },
        },
      );
      const result = await kernel.agents.spawn({ prompt: 'where do we cross', userId: 'alice' }).result;
      expect(result.status).toBe('completed');
      // Indexing runs behind the answer; a search waits for the retriever's queued writes.
      const hits = await (await kernel.service('memory')).recall('zebra crossing', { userId: 'alice' });
      expect(hits.map((hit) => hit.text).join('\n')).toContain('zebra crossing');
      expect(opened).toHaveLength(1);
      const model = opened[0]!;
      const found = await new LibsqlSearchIndex(own.client, model).searchText(
        'zebra',
        { userId: 'alice' },
        5,
      );
      expect(found.length).toBeGreaterThan(0);
      await closeAll();
      // The workspace's own memory file (the default index) got nothing.
      const defaults = await openMemory({ path: join(workspace, '.oxydra', 'memory.db') });
      try {
        expect(await new LibsqlSearchIndex(defaults.client, model).searchText('zebra', {}, 5)).toEqual([]);
      } finally {
        await defaults.close();
      }
    } finally {
      await closeAll();
      await own.close();
      scratch.cleanup();
    }
  });
});
