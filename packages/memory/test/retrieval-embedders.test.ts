/**
 * createEmbedder: each backend from its settings, the API ones end to end against the testkit;
 * and deferredRetriever, the retriever of a model whose size is its first answer's.
 */
import { type MockLLM, startMockLLM } from '@oxydra/testkit';
import { holdingRelay, tempWorkspace } from '@oxydra/testkit/helpers';
import { ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbedder } from '../src/embedders/index.js';
import { deferredRetriever, Retriever } from '../src/retrieval/index.js';
import { type TempDb, tempDb } from './retrieval-helpers.js';

let server: MockLLM | undefined;
let db: TempDb | undefined;

afterEach(async () => {
  await server?.close();
  await db?.cleanup();
  server = undefined;
  db = undefined;
});

describe('createEmbedder', () => {
  it('deterministic: the offline default, 256 dimensions unless told', async () => {
    expect((await createEmbedder({ backend: 'deterministic' })).modelId).toBe('deterministic-v1-256');
    expect((await createEmbedder({ backend: 'deterministic', dimensions: 64 })).dimensions).toBe(64);
  });

  it('an API embedder: a request past timeoutMs fails naming the wait and its setting, the provider error kept otherwise', async () => {
    server = await startMockLLM({ api: 'openai-chat' });
    const relay = await holdingRelay(server.url, () => new Promise<void>(() => {}));
    try {
      const embedder = await createEmbedder({
        backend: 'openai',
        baseURL: relay.url,
        model: 'text-embedding-3-small',
        timeoutMs: 200,
      });
      const failure = await embedder.embed(['a lighthouse']).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderError);
      expect((failure as ProviderError).message).toBe(
        'openai (text-embedding-3-small): the request timed out (no answer within 0.2 s: [memory] embedding_timeout_secs)',
      );
      expect((failure as ProviderError).kind).toBe('transport');
      expect((failure as ProviderError).retriable).toBe(true);
    } finally {
      relay.close();
    }
  });

  it('openai: the registry entry base URL and key, and a retriever that works with it', async () => {
    server = await startMockLLM({ api: 'openai-chat' });
    const embedder = await createEmbedder({
      backend: 'openai',
      baseURL: server.url,
      apiKey: 'sk-test',
      model: 'text-embedding-3-small',
      dimensions: 32,
    });
    expect(embedder.modelId).toBe('openai:text-embedding-3-small:32');
    expect(server.requests).toHaveLength(0);
    db = await tempDb();
    const retriever = new Retriever(db.client, embedder);
    await retriever.indexNote({ id: 'note-1', content: 'The lighthouse keeper logs ships.' });
    await retriever.indexNote({ id: 'note-2', content: 'Bread rises overnight.' });
    const hits = await retriever.search({ query: 'lighthouse keeper' });
    expect(hits[0]?.noteId).toBe('note-1');
    const stored = await db.client.execute('SELECT DISTINCT model_id, dims FROM chunk_vectors');
    expect(stored.rows.map((row) => [row.model_id, row.dims])).toEqual([
      ['openai:text-embedding-3-small:32', 32],
    ]);
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer sk-test')).toBe(true);
  });

  it("openai: a model of unknown size asks nothing when made; its size is its first answer's", async () => {
    server = await startMockLLM({ api: 'openai-chat' });
    const embedder = await createEmbedder({
      backend: 'openai',
      baseURL: server.url,
      model: 'nomic-embed-text',
    });
    expect(embedder.dimensions).toBe(0);
    expect(server.requests).toHaveLength(0);
    await embedder.embed(['first']);
    expect(embedder.dimensions).toBe(1536);
    expect(server.requests).toHaveLength(1);
  });

  it('gemini: through batchEmbedContents', async () => {
    server = await startMockLLM({ api: 'gemini' });
    const embedder = await createEmbedder({
      backend: 'gemini',
      baseURL: server.url,
      apiKey: 'g',
      dimensions: 16,
    });
    expect(embedder.modelId).toBe('gemini:gemini-embedding-001:16');
    expect(await embedder.embed(['a', 'b'])).toHaveLength(2);
    expect(server.requests[0]?.path).toContain(':batchEmbedContents');
  });

  it('model2vec: loads the local model code only when chosen, and says what is missing', async () => {
    const empty = tempWorkspace({ prefix: 'oxydra-model2vec-empty-' });
    try {
      await expect(createEmbedder({ backend: 'model2vec', model2vecModel: empty.dir })).rejects.toThrow(
        /model|tokenizer|config/i,
      );
    } finally {
      empty.cleanup();
    }
  });
});

// Made at its first use: while the server fails, each call fails with the server's error and the
// next one asks again; once it answers, the retriever is made once and used from then on.
describe('deferredRetriever', () => {
  it('asks nothing until used, fails each call while the server fails, then makes the retriever once', async () => {
    // The first two embedding requests (the probes) fail as a server without the model does.
    server = await startMockLLM({
      api: 'openai-chat',
      scenario: [{ match: { lastMessageContains: 'dimensions probe' }, fault: { status: 500 }, times: 2 }],
    });
    db = await tempDb();
    const embedder = await createEmbedder({
      backend: 'openai',
      baseURL: server.url,
      model: 'nomic-embed-text',
    });
    const embeddings = () => server!.requests.filter((request) => request.path === '/v1/embeddings');
    let made = 0;
    const retriever = deferredRetriever(async () => {
      if (embedder.dimensions === 0) await embedder.embed(['dimensions probe']);
      made++;
      return new Retriever(db!.client, embedder);
    });
    expect(embeddings()).toHaveLength(0);

    // Two calls at once share one probe, and its failure.
    const [search, index] = await Promise.allSettled([
      retriever.search({ query: 'lighthouse' }),
      retriever.indexNote({ id: 'note-1', content: 'The lighthouse keeper logs ships.' }),
    ]);
    expect(search.status).toBe('rejected');
    expect(index.status).toBe('rejected');
    const failure = (search as PromiseRejectedResult).reason;
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).message).toMatch(/^openai \(nomic-embed-text\): .*HTTP 500/);
    expect(embeddings()).toHaveLength(1);

    // The next call asks again (the second fault), and the one after that gets the retriever.
    await expect(retriever.stats()).rejects.toThrow(/HTTP 500/);
    expect(embeddings()).toHaveLength(2);
    expect(made).toBe(0);
    expect(
      await retriever.indexNote({ id: 'note-1', content: 'The lighthouse keeper logs ships.' }),
    ).toMatchObject({
      chunks: 1,
    });
    expect(made).toBe(1);
    expect(embedder.dimensions).toBe(1536);
    const hits = await retriever.search({ query: 'lighthouse keeper' });
    expect(hits[0]?.noteId).toBe('note-1');
    expect((await retriever.stats()).dimensions).toBe(1536);
    expect(made).toBe(1);
    // One probe that answered, the note's chunk, the search's query: nothing asked twice.
    expect(embeddings()).toHaveLength(5);
  });
});
