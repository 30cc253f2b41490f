import { ToolRegistry } from '@oxydra/tools';
import type { Tool, ToolContext } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryTools } from '../src/agent-tools/index.js';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import type { MemoryDatabase } from '../src/index.js';
import { Retriever } from '../src/retrieval/index.js';
import { tempMemory } from './store-helpers.js';

let memory: MemoryDatabase;
let cleanup: () => Promise<void>;
let registry: ToolRegistry;
let sessionId: string;

beforeEach(async () => {
  ({ memory, cleanup } = await tempMemory());
  const retriever = new Retriever(memory.client, createDeterministicEmbedder());
  memory.notes.setChangeHook(async (event) => {
    if (event.type === 'saved') await retriever.indexNote(event.note);
    else await retriever.removeSource('note', event.note.id);
  });
  const tools: Tool[] = createMemoryTools({
    notes: memory.notes,
    search: (query) => retriever.search(query),
    state: {
      get: (id, key) => memory.sessions.getState(id, key),
      set: (id, key, value, epoch) => memory.sessions.setState(id, key, value, epoch),
    },
  });
  registry = new ToolRegistry(tools, { approval: 'auto' });
  sessionId = (await memory.sessions.create()).id;
});
afterEach(async () => cleanup());

function context(overrides: Partial<ToolContext> = {}): ToolContext {
  return { workspace: '/nonexistent', sessionId, signal: new AbortController().signal, ...overrides };
}

async function call(name: string, args: Record<string, unknown>, overrides?: Partial<ToolContext>) {
  return registry.execute({ id: 'c1', name, arguments: args }, context(overrides));
}

describe('memory tools', () => {
  it('saves a note, finds it by meaning and by keyword, updates and deletes it', async () => {
    const saved = await call('memory_save', {
      content: 'The deploy script lives in ops/deploy.sh and needs VPN',
      tags: ['Ops'],
    });
    expect(saved.isError).toBe(false);
    const id = /note-[0-9a-f-]{36}/.exec(saved.content)![0];

    const byKeyword = await call('memory_search', { query: 'deploy.sh' });
    expect(byKeyword.content).toContain(id);
    expect(byKeyword.content).toContain('[ops]'); // tags are lower-cased
    const byMeaning = await call('memory_search', { query: 'where is the deployment script?' });
    expect(byMeaning.content).toContain('ops/deploy.sh');

    expect(
      (await call('memory_update', { note_id: id, content: 'The deploy script moved to tools/ship.sh' }))
        .isError,
    ).toBe(false);
    expect((await call('memory_search', { query: 'ship.sh' })).content).toContain('tools/ship.sh');

    expect((await call('memory_delete', { note_id: id })).isError).toBe(false);
    expect((await call('memory_search', { query: 'ship.sh' })).content).toMatch(/^No memories match/);
    const again = await call('memory_delete', { note_id: id });
    expect(again).toMatchObject({ isError: true });
    expect(again.content).toContain('find ids with memory_search');
  });

  it("keeps one user's notes away from another user's agent", async () => {
    const saved = await call('memory_save', { content: 'Alice prefers tabs' }, { userId: 'alice' });
    const id = /note-[0-9a-f-]{36}/.exec(saved.content)![0];
    expect((await call('memory_search', { query: 'tabs' }, { userId: 'bob' })).content).toMatch(
      /^No memories match/,
    );
    expect((await call('memory_delete', { note_id: id }, { userId: 'bob' })).isError).toBe(true);
    expect((await call('memory_search', { query: 'tabs' }, { userId: 'alice' })).content).toContain(
      'Alice prefers tabs',
    );
  });

  it.each([
    [
      'seventeen tags',
      { content: 'x', tags: Array.from({ length: 17 }, (_, i) => `t${i}`) },
      'at most 16 tags',
    ],
    ['a 65-character tag', { content: 'x', tags: ['a'.repeat(65)] }, 'at most 64 characters'],
    ['empty content', { content: '' }, 'content'],
  ])('rejects memory_save with %s, saying what is wrong', async (_name, args, message) => {
    const result = await call('memory_save', args);
    expect(result.isError).toBe(true);
    expect(result.content).toContain(message);
  });

  it('rejects a malformed note id and a top_k above 20', async () => {
    expect((await call('memory_delete', { note_id: 'abc' })).content).toContain('note-<uuid>');
    expect((await call('memory_search', { query: 'x', top_k: 21 })).isError).toBe(true);
  });

  it('writes, reads and clears the scratchpad of the session', async () => {
    expect((await call('scratchpad_read', {})).content).toBe('The scratchpad is empty.');
    expect((await call('scratchpad_write', { items: ['plan the change', 'write tests'] })).isError).toBe(
      false,
    );
    const read = await call('scratchpad_read', {});
    expect(read.content).toBe('1. plan the change\n2. write tests');
    expect(read.data).toMatchObject({
      session_id: sessionId,
      item_count: 2,
      items: ['plan the change', 'write tests'],
    });
    // A write replaces the whole pad.
    await call('scratchpad_write', { items: ['only this'] });
    expect((await call('scratchpad_read', {})).content).toBe('1. only this');
    await call('scratchpad_clear', {});
    expect((await call('scratchpad_read', {})).content).toBe('The scratchpad is empty.');
    // Another session has its own pad.
    const other = (await memory.sessions.create()).id;
    await call('scratchpad_write', { items: ['mine'] }, { sessionId: other });
    expect((await call('scratchpad_read', {})).content).toBe('The scratchpad is empty.');
  });

  it.each([
    ['33 items', Array.from({ length: 33 }, (_, i) => `item ${i}`), 'at most 32 items'],
    ['a 241-character item', ['x'.repeat(241)], 'at most 240 characters'],
    ['no items', [], 'at least one item'],
    ['more than 8 KiB', Array.from({ length: 32 }, () => 'é'.repeat(140)), 'holds at most 8192'],
  ])('rejects a scratchpad with %s, saying what is wrong', async (_name, items, message) => {
    const result = await call('scratchpad_write', { items });
    expect(result.isError).toBe(true);
    expect(result.content).toContain(message);
  });
});
