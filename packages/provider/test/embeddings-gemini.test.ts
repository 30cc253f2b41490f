/** Gemini embeddings against the testkit's :batchEmbedContents: request shape, batching, errors. */
import { type MockLLM, type ScenarioStep, startMockLLM } from '@oxydra/testkit';
import { mockEmbedding } from '@oxydra/testkit/helpers';
import { ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createGeminiEmbedder } from '../src/embeddings/index.js';

const KEY = 'gemini-key-0123456789';
let server: MockLLM | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(steps: ScenarioStep[] = []): Promise<MockLLM> {
  server = await startMockLLM({ api: 'gemini', scenario: steps });
  return server;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

interface BatchBody {
  requests: Array<{
    model: string;
    content: { parts: Array<{ text: string }> };
    outputDimensionality?: number;
  }>;
}

describe('createGeminiEmbedder', () => {
  it('posts batchEmbedContents with the key header, one request per text, and returns the vectors', async () => {
    const mock = await start();
    const embedder = createGeminiEmbedder({ baseURL: mock.url, apiKey: KEY, dimensions: 8 });
    expect(embedder.modelId).toBe('gemini:gemini-embedding-001:8');
    expect(embedder.dimensions).toBe(8);
    const vectors = await embedder.embed(['one', 'two']);
    expect(vectors.map((v) => Array.from(v))).toEqual([mockEmbedding('one', 8), mockEmbedding('two', 8)]);
    const [request] = mock.requests;
    expect(request?.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(request?.headers['x-goog-api-key']).toBe(KEY);
    const body = request?.body as unknown as BatchBody;
    expect(body.requests.map((r) => [r.model, r.content.parts[0]?.text, r.outputDimensionality])).toEqual([
      ['models/gemini-embedding-001', 'one', 8],
      ['models/gemini-embedding-001', 'two', 8],
    ]);
  });

  it('uses the model size when none is asked for, and a base URL with a version', async () => {
    const mock = await start();
    const embedder = createGeminiEmbedder({
      baseURL: `${mock.url}/v1beta`,
      apiKey: KEY,
      model: 'text-embedding-004',
    });
    expect(embedder.dimensions).toBe(768);
    const [vector] = await embedder.embed(['hello']);
    expect(vector).toHaveLength(768);
    expect(mock.requests[0]?.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
  });

  it('sends at most 100 texts per request', async () => {
    const mock = await start();
    const texts = Array.from({ length: 250 }, (_, i) => `t${i}`);
    const vectors = await createGeminiEmbedder({ baseURL: mock.url, apiKey: KEY, dimensions: 4 }).embed(
      texts,
    );
    expect(mock.requests.map((r) => (r.body as unknown as BatchBody).requests.length)).toEqual([
      100, 100, 50,
    ]);
    expect(Array.from(vectors[249]!)).toEqual(mockEmbedding('t249', 4));
  });

  it('classifies 401 as auth and 429 as rate limited with the wait Google asks for', async () => {
    const mock = await start([
      { match: { lastMessageContains: 'bad key' }, fault: { status: 401 } },
      { match: { lastMessageContains: 'too fast' }, fault: { status: 429, retryAfter: 3 } },
    ]);
    const embedder = createGeminiEmbedder({ baseURL: mock.url, apiKey: KEY, dimensions: 4 });
    const auth = await failure(embedder.embed(['bad key']));
    expect(auth.kind).toBe('auth');
    expect(auth.status).toBe(401);
    expect(auth.provider).toBe('gemini');
    expect(auth.message).not.toContain(KEY);
    const limited = await failure(embedder.embed(['ok', 'too fast']));
    expect(limited.kind).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(3000);
    expect(mock.requests).toHaveLength(2);
    // The fault step was used up (times: 1): the same text now succeeds.
    expect(await embedder.embed(['too fast'])).toHaveLength(1);
  });
});

describe('the mock Gemini embedding endpoints', () => {
  it('answers :embedContent for one text, and 400 without contents', async () => {
    const mock = await start();
    const post = (path: string, body: unknown) =>
      fetch(`${mock.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        json: (await r.json()) as Record<string, unknown>,
      }));
    const single = await post('/v1beta/models/text-embedding-004:embedContent', {
      content: { parts: [{ text: 'hi' }] },
      outputDimensionality: 5,
    });
    expect(single).toEqual({ status: 200, json: { embedding: { values: mockEmbedding('hi', 5) } } });
    const empty = await post('/v1beta/models/x:batchEmbedContents', { requests: [] });
    expect(empty.status).toBe(400);
  });
});
