/**
 * Live sessions' histories kept between turns (assemble/session-history.ts): a turn of a stored
 * session reads only what is new in the database, and what it gets is what a fresh load returns,
 * whoever wrote it (this kernel, another process), after a delete or a re-creation, and after the
 * cache dropped the session (idle, or pushed out by others). Real libSQL files throughout.
 */
import { join } from 'node:path';
import { type MemoryDatabase, openMemory, type SessionStore } from '@oxydra/memory';
import { handClock } from '@oxydra/testkit';
import { pollUntil, type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import type { Message } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  loadHistory,
  openWorkspaceMemory,
  sessionHooks,
  type WorkspaceMemory,
} from '../src/assemble/memory.js';
import { HISTORY_IDLE_MS, SessionHistories } from '../src/assemble/session-history.js';
import { closeAll, ON_POSTGRES, ownerSessions, testKernel } from './helpers.js';

afterEach(closeAll);

interface Read {
  afterSeq: number;
  rows: number;
}

/**
 * Every read of a session's log through `store` from now on, with the rows it returned; `fresh`
 * reads a session whole without being counted (what a turn should have seen).
 */
function watchReads(store: SessionStore): { reads: Read[]; fresh(sessionId: string): Promise<Message[]> } {
  const reads: Read[] = [];
  const original = store.loadEvents.bind(store);
  vi.spyOn(store, 'loadEvents').mockImplementation(async (sessionId, options = {}) => {
    const events = await original(sessionId, options);
    reads.push({ afterSeq: options.afterSeq ?? 0, rows: events.length });
    return events;
  });
  return { reads, fresh: async (sessionId) => (await original(sessionId)).map((event) => event.message) };
}

/** The texts of a model request's conversation (the system prompt and recalled memory left out). */
function conversationSent(body: Record<string, unknown> | undefined): string[] {
  const messages = (body?.messages ?? []) as { role: string; content: unknown }[];
  return messages.filter((m) => m.role !== 'system').map((m) => String(m.content));
}

describe('a session history kept between turns (real kernel)', () => {
  it('over 50 turns reads the log once, and each turn sees exactly what a fresh load returns', async () => {
    const { kernel, mock } = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    const { reads, fresh } = watchReads(await ownerSessions(kernel));
    for (let turn = 1; turn <= 50; turn++) {
      const result = await kernel.agents.spawn({ prompt: `message ${turn}`, sessionId: 'long', userId: 'u' })
        .result;
      expect(result.status).toBe('completed');
      // result.messages is the history the turn was given plus what it added.
      expect(result.messages).toEqual(await fresh('long'));
      expect(result.messages).toHaveLength(2 * turn);
    }
    const lastCall = conversationSent(mock.requests.at(-1)?.body);
    expect(lastCall.slice(0, 2)).toEqual(['message 1', 'noted']);
    expect(lastCall.at(-1)).toBe('message 50');
    // Reading the whole log each turn would be 0 + 2 + 4 + … + 98 = 2,450 rows: the first
    // turn's opening read the (empty) log, and the others only a stamp.
    expect(reads).toEqual([{ afterSeq: 0, rows: 0 }]);
  });

  // libSQL only: the other process writes memory.db, the libSQL file
  it.skipIf(ON_POSTGRES)("sees another process's appends at the next turn, reading only them", async () => {
    const test = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    const { kernel, mock } = test;
    const ask = (prompt: string) => kernel.agents.spawn({ prompt, sessionId: 'shared', userId: 'u' }).result;
    for (let turn = 1; turn <= 5; turn++) await ask(`mine ${turn}`);
    const { reads, fresh } = watchReads(await ownerSessions(kernel));
    // Another process: its own connection to the same file, writing through the store. (The
    // kernel's background indexing is waited for first: two connections of one process must not
    // hold write transactions at once.)
    await (await kernel.service('memory')).recall('anything');
    const other = await openMemory({ path: join(test.workspace, '.oxydra', 'memory.db') });
    try {
      await other.sessions.appendTurn('shared', [
        { role: 'user', content: 'from the other process' },
        { role: 'assistant', content: 'answered elsewhere' },
      ]);
    } finally {
      await other.close();
    }
    const result = await ask('mine again');
    expect(conversationSent(mock.requests.at(-1)?.body).slice(-3)).toEqual([
      'from the other process',
      'answered elsewhere',
      'mine again',
    ]);
    expect(result.messages).toEqual(await fresh('shared'));
    // The cached tail (seq 10) read again to check it, and the two new messages after it.
    expect(reads).toEqual([{ afterSeq: 9, rows: 3 }]);
    await ask('and again');
    expect(reads).toHaveLength(1);
  });

  // libSQL only: the other process writes memory.db, the libSQL file
  it.skipIf(ON_POSTGRES)(
    'starts afresh when the session was deleted, and reads whole a session deleted and created again',
    async () => {
      const test = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
      const { kernel, mock } = test;
      const store = await ownerSessions(kernel);
      const ask = (prompt: string) => kernel.agents.spawn({ prompt, sessionId: 'gone', userId: 'u' }).result;
      await ask('before the delete');
      await ask('still before');
      // Deleted behind the cache's back (the gateway's REST DELETE uses the store directly).
      await (await kernel.service('memory')).recall('anything');
      expect(await store.delete('gone')).toBe(true);
      const fresh = await ask('after the delete');
      expect(fresh.messages.map((m) => m.content)).toEqual(['after the delete', 'noted']);
      expect(conversationSent(mock.requests.at(-1)?.body)).toEqual(['after the delete']);

      // Deleted and created again by another process with as many messages as the cache holds:
      // the same seqs, other content.
      await (await kernel.service('memory')).recall('anything');
      const other = await openMemory({ path: join(test.workspace, '.oxydra', 'memory.db') });
      try {
        await other.sessions.delete('gone');
        await other.sessions.create({ id: 'gone', userId: 'u' });
        await other.sessions.appendTurn('gone', [{ role: 'user', content: 'rewritten question' }]);
        await other.sessions.appendTurn('gone', [{ role: 'assistant', content: 'rewritten answer' }]);
      } finally {
        await other.close();
      }
      const { reads } = watchReads(store);
      const again = await ask('after the rewrite');
      expect(again.messages.map((m) => m.content)).toEqual([
        'rewritten question',
        'rewritten answer',
        'after the rewrite',
        'noted',
      ]);
      expect(reads).toEqual([{ afterSeq: 0, rows: 2 }]);
    },
  );

  it("keeps users apart: another user's agent is refused the session before anything is read", async () => {
    const { kernel, mock } = await testKernel([{ reply: { text: 'ok' }, times: 'always' }]);
    await kernel.agents.spawn({ prompt: 'private note', sessionId: 'bobs', userId: 'bob' }).result;
    const { reads } = watchReads(await ownerSessions(kernel));
    const requests = mock.requests.length;
    const alice = await kernel.agents.spawn({ prompt: 'show me', sessionId: 'bobs', userId: 'alice' }).result;
    expect(alice.status).toBe('failed');
    expect(alice.error?.message).toContain('belongs to another user');
    expect(alice.messages).toEqual([]);
    expect(mock.requests).toHaveLength(requests);
    expect(reads).toEqual([]);
    // Bob's own next turn still has his conversation.
    const bob = await kernel.agents.spawn({ prompt: 'again', sessionId: 'bobs', userId: 'bob' }).result;
    expect(bob.messages.map((m) => m.content)).toEqual(['private note', 'ok', 'again', 'ok']);
  });

  it("drops a session idle for HISTORY_IDLE_MS by the kernel's clock; its next turn reads it whole", async () => {
    const clock = handClock();
    const { kernel } = await testKernel([{ reply: { text: 'ok' }, times: 'always' }], {}, { clock });
    const ask = (prompt: string) => kernel.agents.spawn({ prompt, sessionId: 'idle', userId: 'u' }).result;
    await ask('one');
    await ask('two');
    const { reads } = watchReads(await ownerSessions(kernel));
    clock.advance(HISTORY_IDLE_MS - 1000);
    await ask('three');
    expect(reads).toEqual([]);
    clock.advance(HISTORY_IDLE_MS);
    const result = await ask('four');
    expect(reads).toEqual([{ afterSeq: 0, rows: 6 }]);
    expect(result.messages.map((m) => m.content)).toEqual([
      'one',
      'ok',
      'two',
      'ok',
      'three',
      'ok',
      'four',
      'ok',
    ]);
  });
});

describe('SessionHistories over a real store', () => {
  let scratch: TempWorkspace;
  let workspace: string;
  let memory: WorkspaceMemory;
  beforeEach(async () => {
    scratch = tempWorkspace({ prefix: 'oxydra-histories-' });
    workspace = scratch.dir;
    const config = agentConfigSchema.parse({
      selection: { provider: 'mock', model: 'm' },
      providers: { registry: { mock: { provider_type: 'openai', base_url: 'http://127.0.0.1:9/v1' } } },
    });
    memory = await openWorkspaceMemory(config, workspace, {});
  });
  afterEach(async () => {
    await memory.close();
    scratch.cleanup();
  });

  const config = () =>
    agentConfigSchema.parse({
      selection: { provider: 'mock', model: 'm' },
      providers: { registry: { mock: { provider_type: 'openai', base_url: 'http://127.0.0.1:9/v1' } } },
    });

  /** The persist hook a run on `sessionId` gets, secrets redacted as in a real run. */
  const persistTo = (sessionId: string, secrets: string[] = []) =>
    sessionHooks(memory, { sessionId, config: config(), warn: () => {}, secrets }).persist!;

  async function otherProcess(use: (other: MemoryDatabase) => Promise<void>): Promise<void> {
    // The background indexing of persisted turns first: one connection writes at a time here.
    await memory.retriever.search({ query: 'anything' });
    const other = await openMemory({ path: join(workspace, '.oxydra', 'memory.db') });
    try {
      await use(other);
    } finally {
      await other.close();
    }
  }

  it('holds what a fresh load returns: stored forms, secrets redacted, attachment bytes replaced', async () => {
    const { id } = await memory.db.sessions.create();
    await memory.histories.load(id);
    const persist = persistTo(id, ['hunter2-secret-value']);
    const turns: Message[][] = [
      [{ role: 'user', content: 'my password is hunter2-secret-value' }],
      [
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'c1', name: 'file_read', arguments: { path: 'a.txt' } }],
        },
        { role: 'tool', toolCallId: 'c1', toolName: 'file_read', content: 'contents', isError: false },
      ],
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look at this' },
            { type: 'attachment', mimeType: 'image/png', name: 'shot.png', data: 'iVBORw0KGgo=' },
          ],
        },
      ],
      [{ role: 'assistant', content: 'a fine picture', reasoning: [{ text: 'hmm' }] } as Message],
    ];
    for (const turn of turns) await persist(turn);
    const cached = await memory.histories.load(id);
    const fresh = await loadHistory(memory, id);
    expect(JSON.stringify(cached)).toBe(JSON.stringify(fresh));
    expect(JSON.stringify(cached)).not.toContain('hunter2-secret-value');
    expect(JSON.stringify(cached)).toContain('[attachment shot.png: image/png');
    // The same objects at every opening (what the runtime's token counts are cached by), in a
    // new array each time (a run extends its own).
    const again = await memory.histories.load(id);
    expect(again).not.toBe(cached);
    expect(again.every((message, i) => message === cached[i])).toBe(true);
    // Shared by every later turn (and handed to plugins): frozen, so nothing changes them unseen.
    expect(() => {
      (cached[0] as { content: string }).content = 'changed';
    }).toThrow(TypeError);
    expect(() => (cached[3] as { content: unknown[] }).content.push('part')).toThrow(TypeError);
    expect(Array.isArray(cached[3]?.content)).toBe(true);
  });

  it('holds nothing before a session is opened: its first opening reads the log whole, the next only what is new', async () => {
    // A run in a new session (a one-shot `oxydra run`) never opens one: the cache is not even loaded.
    const { id } = await memory.db.sessions.create();
    const persist = persistTo(id);
    await persist([{ role: 'user', content: 'one' }]);
    await persist([{ role: 'assistant', content: 'two' }]);
    expect(memory.histories.has(id)).toBe(false);
    const { reads, fresh } = watchReads(memory.db.sessions);
    const loaded = await memory.histories.load(id);
    expect(loaded.map((m) => m.content)).toEqual(['one', 'two']);
    expect(reads).toEqual([{ afterSeq: 0, rows: 2 }]);
    expect(memory.histories.has(id)).toBe(true);
    await persist([{ role: 'user', content: 'three' }]);
    const next = await memory.histories.load(id);
    expect(next.map((m) => m.content)).toEqual(['one', 'two', 'three']);
    expect(reads).toHaveLength(1);
    expect(next).toEqual(await fresh(id));
  });

  it('reads in order what another writer appended, before and between its own turns', async () => {
    const { id } = await memory.db.sessions.create();
    const persist = persistTo(id);
    await persist([{ role: 'user', content: 'one' }]);
    await memory.histories.load(id);
    await otherProcess(async (other) => {
      await other.sessions.appendTurn(id, [{ role: 'user', content: 'other two' }]);
    });
    // This kernel's own turn lands after the other's: the cache cannot add it in place…
    await persist([{ role: 'assistant', content: 'three' }]);
    const { reads, fresh } = watchReads(memory.db.sessions);
    // …so the next opening reads both, after the tail it holds.
    const loaded = await memory.histories.load(id);
    expect(loaded.map((m) => m.content)).toEqual(['one', 'other two', 'three']);
    expect(reads).toEqual([{ afterSeq: 0, rows: 3 }]);
    expect(loaded).toEqual(await fresh(id));
  });

  it('opens one session for two turns at once with one read, and ignores appends it read already', async () => {
    const { id } = await memory.db.sessions.create();
    await memory.db.sessions.appendTurn(id, [{ role: 'user', content: 'one' }]);
    const { reads } = watchReads(memory.db.sessions);
    const [a, b] = await Promise.all([memory.histories.load(id), memory.histories.load(id)]);
    expect(a).toEqual(b);
    expect(reads).toEqual([{ afterSeq: 0, rows: 1 }]);
    // A turn committed while an opening read the log: the opening has it, the append adds nothing.
    const appended = await memory.db.sessions.appendTurn(id, [{ role: 'assistant', content: 'two' }]);
    expect((await memory.histories.load(id)).map((m) => m.content)).toEqual(['one', 'two']);
    memory.histories.appended(id, appended, [{ role: 'assistant', content: 'two' }]);
    expect(memory.histories.has(id)).toBe(true);
    expect((await memory.histories.load(id)).map((m) => m.content)).toEqual(['one', 'two']);
    expect(reads).toEqual([
      { afterSeq: 0, rows: 1 },
      { afterSeq: 0, rows: 2 },
    ]);
  });

  it('refuses a session that no longer exists, and forgets it', async () => {
    const { id } = await memory.db.sessions.create();
    await persistTo(id)([{ role: 'user', content: 'x' }]);
    await memory.histories.load(id);
    expect(memory.histories.has(id)).toBe(true);
    await memory.retriever.search({ query: 'anything' });
    await memory.db.sessions.delete(id);
    await expect(memory.histories.load(id)).rejects.toThrow(`there is no session ${id}`);
    expect(memory.histories.has(id)).toBe(false);
  });

  it('keeps at most maxSessions (least recently used dropped first) and maxMessages in all', async () => {
    const histories = new SessionHistories(memory.db.sessions, { maxSessions: 2, maxMessages: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await memory.db.sessions.create();
      await memory.db.sessions.appendTurn(id, [{ role: 'user', content: `s${i}` }]);
      ids.push(id);
    }
    const [a, b, c] = ids as [string, string, string];
    await histories.load(a);
    await histories.load(b);
    await histories.load(a); // b is now the least recently used
    await histories.load(c);
    expect([histories.has(a), histories.has(b), histories.has(c)]).toEqual([true, false, true]);
    expect(histories.size).toBe(2);
    // Messages: a session growing past the total pushes the others out, then itself.
    await memory.db.sessions.appendTurn(c, [
      { role: 'assistant', content: '1' },
      { role: 'user', content: '2' },
      { role: 'assistant', content: '3' },
      { role: 'user', content: '4' },
    ]);
    await histories.load(c);
    expect([histories.has(a), histories.has(c)]).toEqual([false, true]);
    await memory.db.sessions.appendTurn(c, [{ role: 'assistant', content: '5' }]);
    expect((await histories.load(c)).map((m) => m.content)).toEqual(['s2', '1', '2', '3', '4', '5']);
    expect(histories.size).toBe(0);
    histories.clear();
  });

  it('drops sessions idle for idleMs at the next use, or by its timer when none comes', async () => {
    let now = 0;
    const histories = new SessionHistories(memory.db.sessions, { idleMs: 50, now: () => now });
    const { id } = await memory.db.sessions.create();
    const other = await memory.db.sessions.create();
    await histories.load(id);
    now = 40;
    await histories.load(other.id);
    now = 60;
    // A use of another session sweeps the idle one.
    histories.appended(other.id, { turn: 1, firstSeq: 5, lastSeq: 5, createdAt: '' }, [
      { role: 'user', content: 'x' },
    ]);
    expect([histories.has(id), histories.has(other.id)]).toEqual([false, true]);
    // With no use at all, the timer does it (real time, the clock's judgement).
    now = 200;
    await pollUntil(
      () => histories.size === 0,
      () => `no history left (saw ${histories.size})`,
      {
        timeoutMs: 2000,
        intervalMs: 20,
      },
    );
    histories.clear();
  });
});
