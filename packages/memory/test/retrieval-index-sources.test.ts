/** Indexing notes and conversations into the retrieval index, removing a source, and its stats. */
import type { Embedder } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import { Retriever } from '../src/retrieval/index.js';
import { LibsqlSearchIndex } from '../src/store/libsql/search-index/store.js';
import { addSession, countingEmbedder, tempDb } from './retrieval-helpers.js';
import { count, db, retriever, useFreshRetriever } from './retrieval-index-helpers.js';

useFreshRetriever();

/** Three distinct paragraphs, each longer than one chunk. */
function longNote(changed = ''): string {
  const paragraph = (topic: string) =>
    Array.from({ length: 12 }, (_, i) => `The ${topic} system handles case ${i} of its workload.`).join(' ');
  return [paragraph('billing'), paragraph(`routing${changed}`), paragraph('storage')].join('\n\n');
}

describe('indexNote', () => {
  it('stores each chunk once with its vector, model id and size, and finds it', async () => {
    const result = await retriever.indexNote({
      id: 'note-1',
      content: longNote(),
      tags: [' ops ', 'db', 'ops'],
    });
    expect(result.chunks).toBeGreaterThan(3);
    expect(result.embedded).toBe(result.chunks);
    const rows = await db.client.execute(
      `SELECT c.id, c.source_type, c.source_id, c.ordinal, c.tags, v.chunk_id, v.model_id, v.dims, length(v.code) AS code, length(v.vector) AS bytes
       FROM chunks c JOIN chunk_vectors v ON v.chunk_id = c.id ORDER BY c.ordinal`,
    );
    expect(rows.rows).toHaveLength(result.chunks);
    rows.rows.forEach((row, i) => {
      expect(row.ordinal).toBe(i);
      expect(row.chunk_id).toBe(row.id);
      expect(row.model_id).toBe('deterministic-v1-256');
      expect(row.dims).toBe(256);
      expect(row.code).toBe(32);
      expect(row.bytes).toBe(1024);
      expect(row.tags).toBe('["db","ops"]');
    });
    expect(
      await count(db.client, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'routing'"),
    ).toBeGreaterThan(0);
    const hits = await retriever.search({ query: 'routing system workload' });
    expect(hits[0]).toMatchObject({ source: 'note', noteId: 'note-1', tags: ['db', 'ops'] });
  });

  it('replaces the note on re-index, embedding only the chunks that changed', async () => {
    const embedder = countingEmbedder(createDeterministicEmbedder());
    const counted = new Retriever(db.client, embedder);
    const first = await counted.indexNote({ id: 'note-1', content: longNote() });
    const again = await counted.indexNote({ id: 'note-1', content: longNote() });
    expect(again).toEqual({ chunks: first.chunks, embedded: 0 });
    const edited = await counted.indexNote({ id: 'note-1', content: longNote('-v2') });
    expect(edited.embedded).toBeGreaterThan(0);
    expect(edited.embedded).toBeLessThan(edited.chunks);
    expect(await count(db.client, 'SELECT count(*) FROM chunks')).toBe(edited.chunks);
    expect(await count(db.client, 'SELECT count(*) FROM chunk_vectors')).toBe(edited.chunks);
    await counted.indexNote({ id: 'note-1', content: 'Now something else entirely.' });
    // The old chunks are gone, and the new text shares nothing with the query: no padding.
    expect(await counted.search({ query: 'billing system workload' })).toEqual([]);
    expect(await counted.search({ query: 'something else entirely' })).toEqual([
      expect.objectContaining({ text: 'Now something else entirely.' }),
    ]);
  });

  it('keeps one chunk per distinct content within a note', async () => {
    const content = `${'Same paragraph repeated here for the test. '.repeat(14)}\n\n`.repeat(3);
    const result = await retriever.indexNote({ id: 'note-rep', content });
    expect(await count(db.client, 'SELECT count(DISTINCT content_hash) FROM chunks')).toBe(result.chunks);
  });

  it('writes nothing when the embedder fails or answers wrongly', async () => {
    const broken: Embedder = { modelId: 'broken', dimensions: 256, embed: async () => [new Float32Array(3)] };
    await expect(
      new Retriever(db.client, broken).indexNote({ id: 'note-x', content: 'hello there' }),
    ).rejects.toThrow(/3-dimensional/);
    const failing: Embedder = {
      modelId: 'failing',
      dimensions: 256,
      embed: async () => {
        throw new Error('embedding service down');
      },
    };
    await expect(
      new Retriever(db.client, failing).indexNote({ id: 'note-x', content: 'hello' }),
    ).rejects.toThrow('embedding service down');
    expect(await count(db.client, 'SELECT count(*) FROM chunks')).toBe(0);
  });
});

describe('indexNotes', () => {
  it('indexes a batch as indexNote would each: groups of about reindexBatchSize chunks, one request per user per group, the last of a note given twice', async () => {
    const embedder = countingEmbedder(createDeterministicEmbedder());
    const bulk = new Retriever(db.client, embedder, { reindexBatchSize: 8 });
    const notes = [
      { id: 'a', content: longNote(), userId: 'u1', tags: ['ops'] },
      { id: 'b', content: 'The billing ledger closes at midnight.', userId: 'u2' },
      { id: 'c', content: longNote('-c'), userId: 'u1' },
      { id: 'b', content: 'The routing table reloads every hour.', userId: 'u2' },
    ];
    const result = await bulk.indexNotes(notes);
    const other = await tempDb();
    const expected = { chunks: 0, embedded: 0 };
    try {
      const one = new Retriever(other.client, createDeterministicEmbedder());
      for (const note of [notes[0]!, notes[2]!, notes[3]!]) {
        const done = await one.indexNote(note);
        expected.chunks += done.chunks;
        expected.embedded += done.embedded;
      }
    } finally {
      await other.cleanup();
    }
    expect(result).toEqual(expected);
    expect(await count(db.client, 'SELECT count(*) FROM chunks')).toBe(expected.chunks);
    // longNote is more than one group of 8 chunks alone: each note its own group, one request each.
    expect(embedder.calls.length).toBe(3);
    expect(embedder.calls.flat()).toHaveLength(expected.embedded);
    const texts = (hits: { text: string }[]) => hits.map((hit) => hit.text).join(' ');
    expect(texts(await bulk.search({ query: 'billing ledger midnight', userId: 'u2' }))).not.toContain(
      'ledger',
    );
    expect(await bulk.search({ query: 'routing table reloads', userId: 'u2' })).toEqual([
      expect.objectContaining({ noteId: 'b' }),
    ]);
    const tagged = await bulk.search({ query: 'storage system workload', userId: 'u1', tags: ['ops'] });
    expect(tagged.length).toBeGreaterThan(0);
    expect(tagged.every((hit) => hit.noteId === 'a' && hit.tags?.includes('ops'))).toBe(true);
    // Indexed again unchanged: every vector reused, nothing embedded.
    embedder.calls.length = 0;
    expect(await bulk.indexNotes(notes)).toEqual({ chunks: expected.chunks, embedded: 0 });
    expect(embedder.calls).toEqual([]);
  });
});

describe('indexConversation', () => {
  const messages = [
    { role: 'system' as const, content: 'You are a careful agent.' },
    { role: 'user' as const, content: 'Where does the nightly backup go?' },
    {
      role: 'assistant' as const,
      content: 'It goes to the NAS at two in the morning.',
      toolCalls: [{ id: 'c1', name: 'file_read', arguments: { path: 'backup.conf' } }],
    },
    {
      role: 'tool' as const,
      toolCallId: 'c1',
      toolName: 'file_read',
      content: `target=nas ${'x'.repeat(2000)}`,
    },
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'Thanks, and the retention?' }] },
  ];

  it('indexes what the user and the assistant said, once per session', async () => {
    await addSession(db.client, 'session-a', 'alice');
    const first = await retriever.indexConversation({ sessionId: 'session-a', userId: 'alice', messages });
    expect(first.chunks).toBe(3);
    // The whole history again, plus one new message: only the new one is added.
    const more = [...messages, { role: 'assistant' as const, content: 'Thirty days.' }];
    expect((await retriever.indexConversation({ sessionId: 'session-a', messages: more })).chunks).toBe(1);
    const texts = await db.client.execute(
      'SELECT text, ordinal, session_id, user_id FROM chunks ORDER BY ordinal',
    );
    expect(texts.rows.map((row) => row.text)).toEqual([
      'Where does the nightly backup go?',
      'It goes to the NAS at two in the morning.',
      'Thanks, and the retention?',
      'Thirty days.',
    ]);
    expect(texts.rows.map((row) => row.ordinal)).toEqual([0, 1, 2, 3]);
    expect(texts.rows[0]).toMatchObject({ session_id: 'session-a', user_id: 'alice' });
    const hits = await retriever.search({ query: 'nightly backup' });
    expect(hits[0]).toMatchObject({ source: 'conversation', sessionId: 'session-a' });
    expect(hits[0]?.noteId).toBeUndefined();
  });

  it('adds tool results only when asked, cut to one chunk', async () => {
    await addSession(db.client, 'session-t');
    await retriever.indexConversation({ sessionId: 'session-t', messages, includeToolResults: true });
    const tool = await db.client.execute("SELECT text FROM chunks WHERE text LIKE 'target=nas%'");
    expect(tool.rows).toHaveLength(1);
    expect(String(tool.rows[0]?.text).length).toBeLessThanOrEqual(640);
  });

  it('needs the session to exist (its chunks go when it goes)', async () => {
    await expect(retriever.indexConversation({ sessionId: 'no-such-session', messages })).rejects.toThrow(
      /FOREIGN KEY/,
    );
    await addSession(db.client, 'session-b');
    await retriever.indexConversation({ sessionId: 'session-b', messages });
    await retriever.search({ query: 'backup' });
    await db.client.execute("DELETE FROM sessions WHERE id = 'session-b'");
    expect(await count(db.client, 'SELECT count(*) FROM chunks')).toBe(0);
    expect(await count(db.client, 'SELECT count(*) FROM chunk_vectors')).toBe(0);
    expect(await count(db.client, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'backup'")).toBe(0);
    expect(await retriever.search({ query: 'nightly backup NAS' })).toEqual([]);
  });

  it('indexes calls made together as one batch: each settles alone, a session twice adds its texts once', async () => {
    await addSession(db.client, 'session-c');
    await addSession(db.client, 'session-d');
    const more = [...messages, { role: 'assistant' as const, content: 'Thirty days.' }];
    // All four wait for the same write: the missing session fails alone, the rest commit.
    const calls = [
      retriever.indexConversation({ sessionId: 'session-c', messages }),
      retriever.indexConversation({ sessionId: 'no-such-session', messages }),
      retriever.indexConversation({ sessionId: 'session-c', messages: more }),
      retriever.indexConversation({ sessionId: 'session-d', messages: more }),
    ];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value.chunks : -1))).toEqual([3, -1, 1, 4]);
    const c = await db.client.execute(
      "SELECT text, ordinal FROM chunks WHERE session_id = 'session-c' ORDER BY ordinal",
    );
    expect(c.rows.map((row) => [row.text, row.ordinal])).toEqual([
      ['Where does the nightly backup go?', 0],
      ['It goes to the NAS at two in the morning.', 1],
      ['Thanks, and the retention?', 2],
      ['Thirty days.', 3],
    ]);
    expect(await count(db.client, "SELECT count(*) FROM chunks WHERE session_id = 'session-d'")).toBe(4);
  });
});

describe('indexConversation of a session created for its run (indexed)', () => {
  /** A retriever whose index records how many hashes each stored-hashes read asks about. */
  function counting() {
    const asked: number[] = [];
    const embedder = createDeterministicEmbedder();
    class Counting extends LibsqlSearchIndex {
      override presentHashes(...args: Parameters<LibsqlSearchIndex['presentHashes']>) {
        asked.push(args[1].length);
        return super.presentHashes(...args);
      }
    }
    const index = new Counting(db.client, { id: embedder.modelId, dimensions: embedder.dimensions });
    return { asked, retriever: new Retriever(index, embedder) };
  }
  const user = (content: string) => ({ role: 'user' as const, content });
  const assistant = (content: string) => ({ role: 'assistant' as const, content });
  const turns = [
    [user('Where does the nightly backup go?')],
    [assistant('It goes to the NAS.')],
    [user('Where does the nightly backup go?'), assistant('Thirty days.')],
  ];
  const rows = async (sessionId: string) =>
    (
      await db.client.execute({
        sql: 'SELECT text, ordinal FROM chunks WHERE session_id = ? ORDER BY ordinal',
        args: [sessionId],
      })
    ).rows.map((row) => [row.text, row.ordinal]);

  it('asks which texts it has only once one was said before, and stores what an unmarked session does', async () => {
    const { asked, retriever: marked } = counting();
    await addSession(db.client, 'fresh');
    await addSession(db.client, 'plain');
    const indexed = new Set<string>();
    const results = [];
    for (const messages of turns) {
      results.push(await marked.indexConversation({ sessionId: 'fresh', messages, indexed }));
    }
    // New texts: nothing read. The third turn repeats the first question: asked, as before.
    expect(asked).toEqual([2]);
    expect(indexed.size).toBe(3);
    const plain = counting();
    const expected = [];
    for (const messages of turns)
      expected.push(await plain.retriever.indexConversation({ sessionId: 'plain', messages }));
    expect(plain.asked).toEqual([1, 1, 2]);
    expect(results).toEqual(expected);
    expect(await rows('fresh')).toEqual(await rows('plain'));
    // A chunk removed since is asked about and added again (a hash in the set is not trusted).
    await marked.removeSource('conversation', 'fresh');
    expect(
      (await marked.indexConversation({ sessionId: 'fresh', messages: turns[1]!, indexed })).chunks,
    ).toBe(1);
    expect(asked).toEqual([2, 1]);
    expect((await rows('fresh')).map(([text]) => text)).toEqual(['It goes to the NAS.']);
  });
});

describe('removeSource', () => {
  it('removes a note or a conversation: chunks, vectors and full-text entries', async () => {
    await addSession(db.client, 'session-r');
    await retriever.indexNote({ id: 'note-keep', content: 'Keep the garden watered in July.' });
    await retriever.indexNote({ id: 'note-gone', content: 'The garden gate code is 4821.' });
    await retriever.indexConversation({
      sessionId: 'session-r',
      messages: [{ role: 'user', content: 'What is the garden gate code again?' }],
    });
    expect(
      (await retriever.search({ query: 'garden gate code' })).map((h) => h.noteId ?? h.sessionId),
    ).toContain('note-gone');
    expect(await retriever.removeSource('note', 'note-gone')).toBe(1);
    expect(await retriever.removeSource('conversation', 'session-r')).toBe(1);
    expect(await retriever.removeSource('note', 'note-gone')).toBe(0);
    const hits = await retriever.search({ query: 'garden gate code' });
    expect(hits.map((h) => h.noteId)).toEqual(['note-keep']);
    expect(await count(db.client, 'SELECT count(*) FROM chunk_vectors')).toBe(1);
    expect(await count(db.client, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'gate'")).toBe(0);
  });
});

describe('stats', () => {
  it('counts chunks, sources and vectors by model', async () => {
    await addSession(db.client, 'session-s');
    await retriever.indexNote({ id: 'note-1', content: longNote() });
    await retriever.indexNote({ id: 'note-2', content: 'Short.' });
    await retriever.indexConversation({
      sessionId: 'session-s',
      messages: [{ role: 'user', content: 'Hi there.' }],
    });
    const stats = await retriever.stats();
    const chunks = await count(db.client, 'SELECT count(*) FROM chunks');
    expect(stats).toEqual({
      chunks,
      notes: 2,
      conversations: 1,
      modelId: 'deterministic-v1-256',
      dimensions: 256,
      vectorsByModel: { 'deterministic-v1-256': chunks },
      stale: 0,
    });
  });
});
