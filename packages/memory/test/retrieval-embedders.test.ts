/** createEmbedder: each backend from its settings, the API ones end to end against the testkit. */
import { type MockLLM, startMockLLM } from '@oxydra/testkit';
import { holdingRelay, tempWorkspace } from '@oxydra/testkit/helpers';
import { ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbedder } from '../src/embedders/index.js';
import { Retriever } from '../src/retrieval/index.js';
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

  it('openai: a model of unknown size is probed once, so dimensions are right from the start', async () => {
    server = await startMockLLM({ api: 'openai-chat' });
    const embedder = await createEmbedder({
      backend: 'openai',
      baseURL: server.url,
      model: 'nomic-embed-text',
    });
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
