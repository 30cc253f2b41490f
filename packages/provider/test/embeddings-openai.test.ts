/** OpenAI embeddings against the testkit's /v1/embeddings: request shape, batching, errors. */
import { type MockLLM, type ScenarioStep, startMockLLM } from '@oxydra/testkit';
import { mockEmbedding } from '@oxydra/testkit/helpers';
import { ProviderError, type Usage } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIEmbedder } from '../src/embeddings/index.js';

const KEY = 'sk-embed-0123456789abcdef';
let server: MockLLM | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(steps: ScenarioStep[] = []): Promise<MockLLM> {
  server = await startMockLLM({ api: 'openai-chat', scenario: steps });
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

describe('createOpenAIEmbedder', () => {
  it("tells onUsage what each request cost: the reported tokens at the model's list price", async () => {
    const mock = await start();
    const embedder = createOpenAIEmbedder({ baseURL: mock.url, apiKey: KEY, dimensions: 16 });
    const seen: Usage[] = [];
    await embedder.embed(['one two three', 'four'], { onUsage: (usage) => seen.push(usage) });
    expect(seen).toHaveLength(1);
    const tokens = seen[0]!.inputTokens!;
    expect(tokens).toBeGreaterThan(0);
    expect(seen[0]!.costUsd).toBeCloseTo((tokens * 0.02) / 1e6, 12);
  });

  it('posts the texts to /embeddings with the key and headers, and returns the vectors in order', async () => {
    const mock = await start();
    const embedder = createOpenAIEmbedder({
      baseURL: mock.url,
      apiKey: KEY,
      dimensions: 16,
      extraHeaders: { 'X-Title': 'oxydra-test' },
    });
    expect(embedder.modelId).toBe('openai:text-embedding-3-small:16');
    expect(embedder.dimensions).toBe(16);
    const vectors = await embedder.embed(['first text', 'second text', '']);
    expect(vectors.map((v) => Array.from(v))).toEqual([
      mockEmbedding('first text', 16),
      mockEmbedding('second text', 16),
      mockEmbedding(' ', 16),
    ]);
    expect(mock.requests).toHaveLength(1);
    const [request] = mock.requests;
    expect(request?.path).toBe('/v1/embeddings');
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.headers['x-title']).toBe('oxydra-test');
    // The SDK asks for base64 unless told otherwise; the mock answers in kind.
    expect(request?.body).toEqual({
      model: 'text-embedding-3-small',
      input: ['first text', 'second text', ' '],
      dimensions: 16,
      encoding_format: 'base64',
    });
  });

  it('knows the size of known models, and learns an unknown one from the first answer', async () => {
    const mock = await start();
    expect(createOpenAIEmbedder({ baseURL: mock.url }).dimensions).toBe(1536);
    expect(createOpenAIEmbedder({ baseURL: mock.url, model: 'text-embedding-3-large' }).dimensions).toBe(
      3072,
    );
    const custom = createOpenAIEmbedder({ baseURL: mock.url, model: 'nomic-embed-text' });
    expect(custom.modelId).toBe('openai:nomic-embed-text');
    expect(custom.dimensions).toBe(0);
    await custom.embed(['probe']);
    expect(custom.dimensions).toBe(1536);
    expect(mock.requests[0]?.body).not.toHaveProperty('dimensions');
    expect(mock.requests[0]?.headers.authorization).toBe('Bearer no-api-key');
    expect(() => createOpenAIEmbedder({ baseURL: mock.url, dimensions: 0 })).toThrow(RangeError);
  });

  it('sends at most 2048 inputs per request', async () => {
    const mock = await start();
    const texts = Array.from({ length: 2050 }, (_, i) => `text ${i}`);
    const vectors = await createOpenAIEmbedder({ baseURL: mock.url, dimensions: 4 }).embed(texts);
    expect(mock.requests.map((r) => (r.body?.input as string[] | undefined)?.length)).toEqual([2048, 2]);
    expect(Array.from(vectors[2049]!)).toEqual(mockEmbedding('text 2049', 4));
    expect(Array.from(vectors[7]!)).toEqual(mockEmbedding('text 7', 4));
  });

  it('keeps a request under ~600k characters', async () => {
    const mock = await start();
    const big = (c: string) => c.repeat(250_000);
    await createOpenAIEmbedder({ baseURL: mock.url, dimensions: 4 }).embed([big('a'), big('b'), big('c')]);
    expect(mock.requests.map((r) => (r.body?.input as string[] | undefined)?.length)).toEqual([2, 1]);
  });

  it('classifies 401 as auth (without the key in the message) and 429 as rate limited, with no SDK retry', async () => {
    const mock = await start([
      { match: { lastMessageContains: 'bad key' }, fault: { status: 401 } },
      { match: { lastMessageContains: 'too fast' }, fault: { status: 429, retryAfter: 2 } },
    ]);
    const embedder = createOpenAIEmbedder({ baseURL: mock.url, apiKey: KEY, name: 'my-openai' });
    const auth = await failure(embedder.embed(['bad key']));
    expect(auth.kind).toBe('auth');
    expect(auth.status).toBe(401);
    expect(auth.provider).toBe('my-openai');
    expect(auth.message).toContain('authentication failed');
    expect(auth.message).not.toContain(KEY);
    const limited = await failure(embedder.embed(['too fast']));
    expect(limited.kind).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(2000);
    expect(limited.retriable).toBe(true);
    expect(mock.requests).toHaveLength(2);
  });

  it('reports an unreachable server as a transport error', async () => {
    const mock = await start();
    const url = mock.url;
    await mock.close();
    server = undefined;
    const error = await failure(createOpenAIEmbedder({ baseURL: url, dimensions: 4 }).embed(['x']));
    expect(error.kind).toBe('transport');
  });
});

describe('the mock /v1/embeddings endpoint', () => {
  it('answers floats when asked, a single string input, and 400 without input', async () => {
    const mock = await start();
    const post = (body: unknown) =>
      fetch(`${mock.url}/embeddings`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        json: (await r.json()) as Record<string, unknown>,
      }));
    const floats = await post({ model: 'm', input: 'hello', dimensions: 3, encoding_format: 'float' });
    expect(floats).toEqual({
      status: 200,
      json: {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: mockEmbedding('hello', 3) }],
        model: 'm',
        usage: { prompt_tokens: 2, total_tokens: 2 },
      },
    });
    const missing = await post({ model: 'm' });
    expect(missing.status).toBe(400);
    expect(missing.json).toHaveProperty('error');
    // Recorded like any request, but not a model call.
    expect(mock.requests).toHaveLength(2);
    expect(mock.requests[0]?.callIndex).toBeUndefined();
  });

  it('gives unit vectors: the same for the same text, unrelated for different texts', () => {
    const a = mockEmbedding('alpha', 64);
    const norm = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(mockEmbedding('alpha', 64)).toEqual(a);
    const b = mockEmbedding('beta', 64);
    expect(Math.abs(a.reduce((s, x, i) => s + x * b[i]!, 0))).toBeLessThan(0.5);
  });
});
