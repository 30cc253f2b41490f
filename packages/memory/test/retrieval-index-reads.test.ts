/**
 * Reading the retrieval index: a search made for a session, the vector cache across clients,
 * the results' shape, and the candidate rows a search reads.
 */
import type { InStatement } from '@libsql/client';
import type { Embedder } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import { Retriever } from '../src/retrieval/index.js';
import { LibsqlSearchIndex } from '../src/store/libsql/search-index/store.js';
import { VectorCache } from '../src/store/libsql/search-index/vector-cache.js';
import { addSession } from './retrieval-helpers.js';
import { count, db, retriever, useFreshRetriever } from './retrieval-index-helpers.js';

useFreshRetriever();

describe('a search made for a session (ownSession, recall)', () => {
  /** The deterministic embedder, holding any request with "held" in it until `release`. */
  function heldEmbedder(): { embedder: Embedder; release(): void } {
    const inner = createDeterministicEmbedder();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return {
      embedder: {
        modelId: inner.modelId,
        dimensions: inner.dimensions,
        embed: async (texts) => {
          if (texts.some((text) => text.includes('held'))) await gate;
          return inner.embed(texts);
        },
      },
      release,
    };
  }
  const said = (content: string) => [{ role: 'user' as const, content }];

  it("does not wait for that session's own indexing still queued, but does for what was queued before it", async () => {
    const { embedder, release } = heldEmbedder();
    const held = new Retriever(db.client, embedder);
    await addSession(db.client, 'own');
    await addSession(db.client, 'other');
    // Queued first: another session's turn, held at the embedder (its batch has begun once a
    // read has gone by), then the searching session's own prompt, a batch of its own.
    const other = held.indexConversation({
      sessionId: 'other',
      messages: said('held quokka in the other session'),
    });
    await db.client.execute('SELECT 1');
    const own = held.indexConversation({ sessionId: 'own', messages: said('quokka prompt of this turn') });
    let found: string[] | undefined;
    const recall = held
      .search({ query: 'quokka', ownSession: 'own' })
      .then((hits) => (found = hits.map((hit) => hit.text)));
    // A whole search's time goes by (another retriever, no queue): the recall still waits for
    // the other session's indexing, queued before it.
    await new Retriever(db.client, createDeterministicEmbedder()).search({ query: 'quokka' });
    expect(found).toBeUndefined();
    release();
    await Promise.all([other, own, recall]);
    expect(found).toContain('held quokka in the other session');
  });

  it("answers while that session's own prompt is still being indexed, and the prompt is indexed after", async () => {
    const { embedder, release } = heldEmbedder();
    const held = new Retriever(db.client, embedder);
    await addSession(db.client, 'own');
    await held.indexNote({ id: 'n1', content: 'wombat facts worth recalling' });
    const own = held.indexConversation({ sessionId: 'own', messages: said('held wombat prompt') });
    // The prompt's embedding is held: a search for the session answers meanwhile, with the note.
    const hits = await held.search({ query: 'wombat', ownSession: 'own' });
    expect(hits.map((hit) => hit.text)).toEqual(['wombat facts worth recalling']);
    // Any other search waits for it, and finds it.
    let waited = false;
    const later = held.search({ query: 'wombat' }).then((all) => {
      waited = true;
      return all;
    });
    await held.search({ query: 'wombat', ownSession: 'own' });
    expect(waited).toBe(false);
    release();
    expect(await own).toEqual({ chunks: 1, embedded: 1 });
    expect((await later).map((hit) => hit.text).sort()).toEqual([
      'held wombat prompt',
      'wombat facts worth recalling',
    ]);
  });
});

describe('the vector cache across clients', () => {
  it('sees notes added and removed through another connection (another process)', async () => {
    const other = new Retriever(await db.open(), createDeterministicEmbedder());
    const index = new LibsqlSearchIndex(db.client, { id: 'deterministic-v1-256', dimensions: 256 });
    const vectorOnly = new Retriever(index, createDeterministicEmbedder(), {
      vectorWeight: 1,
      ftsWeight: 0,
    });
    await other.indexNote({ id: 'note-a', content: 'Lanterns light the harbour at dusk.' });
    expect((await vectorOnly.search({ query: 'harbour lanterns' }))[0]?.noteId).toBe('note-a');
    await other.indexNote({ id: 'note-b', content: 'Harbour lanterns are lit by the keeper.' });
    await other.removeSource('note', 'note-a');
    const ids = (await vectorOnly.search({ query: 'harbour lanterns' })).map((h) => h.noteId);
    expect(ids).toEqual(['note-b']);
  });

  it('keeps exactly the live vectors of its model, incrementally', async () => {
    const other = new Retriever(await db.open(), createDeterministicEmbedder());
    const cache = new VectorCache(db.client, 'deterministic-v1-256', 256);
    await cache.refresh();
    expect(cache.size).toBe(0);
    await other.indexNote({ id: 'note-a', content: 'Lanterns light the harbour at dusk.' });
    await other.indexNote({ id: 'note-b', content: 'Harbour lanterns are lit by the keeper.' });
    await cache.refresh();
    expect(cache.size).toBe(2);
    await other.removeSource('note', 'note-a');
    await cache.refresh();
    expect(cache.size).toBe(1);
    // Another model's vectors are not its business.
    await new Retriever(db.client, createDeterministicEmbedder({ dimensions: 64 })).indexNote({
      id: 'note-c',
      content: 'x y',
    });
    await cache.refresh();
    expect(cache.size).toBe(1);
  });

  it('reloads when deletions it never saw were pruned from the tombstone log', async () => {
    const other = new Retriever(await db.open(), createDeterministicEmbedder());
    const index = new LibsqlSearchIndex(db.client, { id: 'deterministic-v1-256', dimensions: 256 });
    const vectorOnly = new Retriever(index, createDeterministicEmbedder(), {
      vectorWeight: 1,
      ftsWeight: 0,
    });
    await other.indexNote({ id: 'note-a', content: 'Lanterns light the harbour at dusk.' });
    await other.indexNote({ id: 'note-b', content: 'Harbour lanterns are lit by the keeper.' });
    expect(await vectorOnly.search({ query: 'harbour lanterns' })).toHaveLength(2);
    await other.removeSource('note', 'note-a');
    await db.client.execute('DELETE FROM chunk_vector_tombstones');
    await other.removeSource('note', 'note-none-such');
    await other.indexNote({ id: 'note-b', content: 'Changed: the keeper lights harbour lanterns.' });
    const hits = await vectorOnly.search({ query: 'harbour lanterns' });
    expect(hits.map((h) => h.text)).toEqual(['Changed: the keeper lights harbour lanterns.']);
    // The reload dropped note-a's vector too, whose tombstone was gone.
    const cache = new VectorCache(db.client, 'deterministic-v1-256', 256);
    await cache.refresh();
    expect(index.cachedVectors).toBe(cache.size);
    expect(cache.size).toBe(1);
  });
});

describe('search results', () => {
  it('returns each content once, at most topK, and nothing for an empty query', async () => {
    await retriever.indexNote({ id: 'note-1', content: 'Backups run nightly at two.' });
    await retriever.indexNote({ id: 'note-2', content: 'Backups run nightly at two.' });
    for (let i = 0; i < 5; i++)
      await retriever.indexNote({ id: `note-x${i}`, content: `Backup detail number ${i}.` });
    const hits = await retriever.search({ query: 'backups nightly', topK: 3 });
    expect(hits).toHaveLength(3);
    expect(hits.filter((h) => h.text === 'Backups run nightly at two.')).toHaveLength(1);
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
    expect(await retriever.search({ query: '   ' })).toEqual([]);
  });
});

describe('candidate rows', () => {
  it('reads the rows of chunks it proposed lately once, and again once a vector of its went, even through another process', async () => {
    const other = new Retriever(await db.open(), createDeterministicEmbedder());
    await other.indexNote({ id: 'note-a', content: 'Lanterns light the harbour at dusk.' });
    await other.indexNote({ id: 'note-b', content: 'Harbour lanterns are lit by the keeper.' });
    let reads = 0;
    const execute = db.client.execute.bind(db.client);
    db.client.execute = ((stmt: InStatement) => {
      if (typeof stmt !== 'string' && /FROM chunks\s+WHERE id IN/.test(stmt.sql)) reads++;
      return execute(stmt);
    }) as typeof execute;
    // Vectors only: the full-text side reads its candidates' rows with its ranking (below).
    const vectorOnly = new Retriever(db.client, createDeterministicEmbedder(), { ftsWeight: 0 });
    const texts = async (by = vectorOnly) =>
      (await by.search({ query: 'harbour lanterns' })).map((h) => h.text).sort();
    expect(await texts()).toEqual([
      'Harbour lanterns are lit by the keeper.',
      'Lanterns light the harbour at dusk.',
    ]);
    expect(reads).toBe(1);
    expect(await texts()).toEqual([
      'Harbour lanterns are lit by the keeper.',
      'Lanterns light the harbour at dusk.',
    ]);
    expect(reads).toBe(1);
    // The newest chunk deleted and its id taken by a new one (no AUTOINCREMENT on chunks):
    // the kept row of that id must not stand for the new chunk.
    const idOf = async (note: string) =>
      count(db.client, `SELECT id FROM chunks WHERE source_type = 'note' AND source_id = '${note}'`);
    const reused = await idOf('note-b');
    await other.removeSource('note', 'note-b');
    await other.indexNote({ id: 'note-c', content: 'Harbour lanterns guide the night ferry.' });
    expect(await idOf('note-c')).toBe(reused);
    expect(await texts()).toEqual([
      'Harbour lanterns guide the night ferry.',
      'Lanterns light the harbour at dusk.',
    ]);
    expect(reads).toBe(2);
    // Both sides: each chunk is a full-text candidate too, its row read with the ranking.
    expect(await texts(retriever)).toEqual([
      'Harbour lanterns guide the night ferry.',
      'Lanterns light the harbour at dusk.',
    ]);
    expect(reads).toBe(2);
  });
});
