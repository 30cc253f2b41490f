/** Changing the embedder: stale vectors are found, re-embedded in batches, and searched again. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import { type ReindexProgress, Retriever } from '../src/retrieval/index.js';
import { LibsqlSearchIndex } from '../src/store/libsql/search-index/store.js';
import { addSession, countingEmbedder, type TempDb, tempDb } from './retrieval-helpers.js';

let db: TempDb;

beforeEach(async () => {
  db = await tempDb();
  const old = new Retriever(db.client, createDeterministicEmbedder({ dimensions: 128 }));
  for (let i = 0; i < 9; i++)
    await old.indexNote({ id: `note-${i}`, content: `Note ${i} about lighthouse number ${i}.` });
  await addSession(db.client, 'session-1');
  await old.indexConversation({
    sessionId: 'session-1',
    messages: [{ role: 'user', content: 'Which lighthouse?' }],
  });
});

afterEach(async () => {
  await db.cleanup();
});

describe('reindex', () => {
  it('re-embeds every chunk of another model, in batches, reporting progress', async () => {
    const embedder = countingEmbedder(createDeterministicEmbedder());
    const retriever = new Retriever(db.client, embedder, { reindexBatchSize: 4 });
    const before = await retriever.stats();
    expect(before.stale).toBe(10);
    expect(before.vectorsByModel).toEqual({ 'deterministic-v1-128': 10 });
    // Until then the vectors of the old model are not compared with new queries: full text only.
    const vectorOnly = new Retriever(db.client, embedder, { vectorWeight: 1, ftsWeight: 0 });
    expect(await vectorOnly.search({ query: 'lighthouse' })).toEqual([]);
    expect((await retriever.search({ query: 'lighthouse number 3' }))[0]?.noteId).toBe('note-3');

    embedder.calls.length = 0;
    const progress: ReindexProgress[] = [];
    const result = await retriever.reindex({ onProgress: (p) => progress.push(p) });
    expect(result).toEqual({ reembedded: 10 });
    expect(embedder.calls.map((call) => call.length)).toEqual([4, 4, 2]);
    expect(progress).toEqual([
      { done: 0, total: 10 },
      { done: 4, total: 10 },
      { done: 8, total: 10 },
      { done: 10, total: 10 },
    ]);
    const after = await retriever.stats();
    expect(after.stale).toBe(0);
    expect(after.vectorsByModel).toEqual({ 'deterministic-v1-256': 10 });
    const models = await db.client.execute('SELECT DISTINCT model_id, dims FROM chunk_vectors');
    expect(models.rows.map((row) => [row.model_id, row.dims])).toEqual([['deterministic-v1-256', 256]]);
    expect((await vectorOnly.search({ query: 'lighthouse number 3' }))[0]?.noteId).toBe('note-3');

    const again: ReindexProgress[] = [];
    expect(await retriever.reindex({ onProgress: (p) => again.push(p) })).toEqual({ reembedded: 0 });
    expect(again).toEqual([{ done: 0, total: 0 }]);
  });

  it('stops between batches when aborted, leaving the rest stale', async () => {
    const controller = new AbortController();
    const retriever = new Retriever(db.client, createDeterministicEmbedder(), { reindexBatchSize: 3 });
    await expect(
      retriever.reindex({
        signal: controller.signal,
        onProgress: ({ done }) => {
          if (done >= 3) controller.abort(new Error('stop'));
        },
      }),
    ).rejects.toThrow('stop');
    expect((await retriever.stats()).stale).toBe(7);
  });
});

describe('reindex as a bulk load', () => {
  /** The memory file's store, with every bulkLoad it is asked for told (and still run). */
  function observed(model: { id: string; dimensions: number }) {
    const store = new LibsqlSearchIndex(db.client, model);
    const loads: string[] = [];
    const bulkLoad = store.bulkLoad.bind(store);
    store.bulkLoad = async <T>(work: () => Promise<T>) => {
      loads.push('begun');
      const result = await bulkLoad(work);
      loads.push('done');
      return result;
    };
    return { store, loads };
  }

  it('loads a new model in bulk, and a few stale chunks one by one', async () => {
    const embedder = createDeterministicEmbedder();
    const fresh = observed({ id: embedder.modelId, dimensions: embedder.dimensions });
    const retriever = new Retriever(fresh.store, embedder, { reindexBatchSize: 4 });
    // Every chunk (10) is of another model: more than a batch, more than a quarter of the index.
    expect(await retriever.reindex()).toEqual({ reembedded: 10 });
    expect(fresh.loads).toEqual(['begun', 'done']);

    // One stale chunk of 10: not worth rebuilding the index for.
    const old = new Retriever(db.client, createDeterministicEmbedder({ dimensions: 128 }));
    await old.indexNote({ id: 'note-0', content: 'Note 0 about lighthouse number 0, again.' });
    fresh.loads.length = 0;
    expect(await retriever.reindex()).toEqual({ reembedded: 1 });
    expect(fresh.loads).toEqual([]);
    // Through the retriever, a caller's own bulk load (a copy's reindex) reaches the store.
    await retriever.bulkLoad(() => retriever.indexNotes([{ id: 'n', content: 'bulk' }]));
    expect(fresh.loads).toEqual(['begun', 'done']);
  });
});
