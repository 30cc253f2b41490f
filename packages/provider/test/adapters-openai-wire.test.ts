/**
 * The OpenAI adapters' own transport (fetch + eventsource-parser, adapters/openai/wire.ts) on
 * answers a recorded fixture does not cover: SSE split anywhere, `[DONE]`, a bare JSON answer,
 * errors in the stream and in non-JSON error bodies, cut streams, headers and the environment,
 * the start timeout, chaining on our own error, and the embedder's two vector encodings.
 */
import { type Context, ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AdapterOptions } from '../src/adapters/define.js';
import { createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { createOpenAIResponsesProvider } from '../src/adapters/openai-responses/provider.js';
import { createOpenAIEmbedder } from '../src/embeddings/index.js';
import { collectResponse } from '../src/shared/stream.js';
import { BASIC_CONTEXT, streamError, TEST_KEY } from './helpers-adapters.js';

const BASE = 'http://127.0.0.1:9/v1';

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A body that arrives in the given pieces, one network read each. */
function pieces(parts: readonly (string | Uint8Array)[], delayMs = 0): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream({
    async pull(controller) {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const part = parts[next++];
      if (part === undefined) controller.close();
      else controller.enqueue(typeof part === 'string' ? encoder.encode(part) : part);
    },
  });
}

function sse(parts: readonly (string | Uint8Array)[], delayMs = 0): Response {
  return new Response(pieces(parts, delayMs), { headers: { 'content-type': 'text/event-stream' } });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A fetch answering each call with the next of `answers` (the last one repeats), recording what was sent. */
function fetchAnswering(...answers: (() => Response)[]): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    sent.push({
      url: String(input),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
    });
    const answer = answers[Math.min(sent.length, answers.length) - 1];
    if (answer === undefined) throw new Error('no answer');
    return answer();
  };
  return { fetch: fetcher, sent };
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null, usage?: unknown) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'test-model',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage !== undefined ? { usage } : {}),
  })}\n\n`;

const USAGE = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
const HELLO_STREAM = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Héllo ' }),
  chunk({ content: 'wörld 🌍' }),
  chunk({}, 'stop'),
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: USAGE })}\n\n`,
  'data: [DONE]\n\n',
].join('');

function chat(fetcher: typeof fetch, options: Partial<AdapterOptions> = {}) {
  return createOpenAIChatProvider({
    name: 'openai',
    baseURL: BASE,
    apiKey: TEST_KEY,
    fetch: fetcher,
    ...options,
  });
}

function asProviderError(error: unknown): ProviderError {
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('OpenAI transport: reading the stream', () => {
  it('reads events split anywhere across reads, multi-byte characters included', async () => {
    const bytes = new TextEncoder().encode(HELLO_STREAM);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 7) parts.push(bytes.slice(i, i + 7));
    const { fetch } = fetchAnswering(() => sse(parts));
    const response = await collectResponse(chat(fetch).stream(BASIC_CONTEXT));
    expect(response.message.content).toBe('Héllo wörld 🌍');
    expect(response.finishReason).toBe('stop');
    expect(response.usage.inputTokens).toBe(5);
    expect(response.usage.outputTokens).toBe(3);
  });

  it('ends the events at [DONE]: whatever follows is ignored', async () => {
    const { fetch } = fetchAnswering(() =>
      sse([HELLO_STREAM, 'data: {not json\n\n', chunk({ content: ' and more' }, 'length')]),
    );
    const response = await collectResponse(chat(fetch).stream(BASIC_CONTEXT));
    expect(response.message.content).toBe('Héllo wörld 🌍');
    expect(response.finishReason).toBe('stop');
  });

  it('reads a bare JSON answer from a server that ignored stream: true', async () => {
    const { fetch } = fetchAnswering(() =>
      json(200, {
        id: 'chatcmpl-2',
        object: 'chat.completion',
        created: 1,
        model: 'test-model',
        choices: [
          {
            index: 0,
            finish_reason: 'tool_calls',
            message: {
              role: 'assistant',
              content: 'Reading.',
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: 'file_read', arguments: '{"path":"a"}' },
                },
              ],
            },
          },
        ],
        usage: USAGE,
      }),
    );
    const response = await collectResponse(chat(fetch).stream(BASIC_CONTEXT));
    expect(response.message.content).toBe('Reading.');
    expect(response.toolCalls).toMatchObject([{ id: 'call_1', name: 'file_read', arguments: { path: 'a' } }]);
    expect(response.finishReason).toBe('tool_calls');
    expect(response.usage.totalTokens).toBe(8);
  });

  it.each([
    ['a data line', ''],
    ['an `event: error`', 'event: error\n'],
  ])(
    'turns an error object in %s into the error it describes, after the output so far',
    async (_, prefix) => {
      const error = {
        message: 'Rate limit reached for tokens per min',
        type: 'tokens',
        code: 'rate_limit_exceeded',
      };
      const { fetch } = fetchAnswering(() =>
        sse([chunk({ content: 'partial' }), `${prefix}data: ${JSON.stringify({ error })}\n\n`]),
      );
      const failure = asProviderError(await streamError(chat(fetch).stream(BASIC_CONTEXT)));
      expect(failure.kind).toBe('rate_limited');
      expect(failure.status).toBeUndefined();
      expect(failure.partialOutput).toBe(true);
      expect(failure.message).toBe('openai (test-model): Rate limit reached for tokens per min');
    },
  );

  it('passes a flat Responses error event to the translator, which reports its code and message', async () => {
    const { fetch } = fetchAnswering(() =>
      sse([
        `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'server_error', message: 'boom' })}\n\n`,
      ]),
    );
    const provider = createOpenAIResponsesProvider({
      name: 'openai',
      baseURL: BASE,
      apiKey: TEST_KEY,
      fetch,
    });
    const failure = asProviderError(await streamError(provider.stream(BASIC_CONTEXT)));
    expect(failure.kind).toBe('overloaded');
    expect(failure.message).toBe('openai (test-model): boom');
  });

  it('drops an event the body ends in the middle of, and reports the stream as cut', async () => {
    // Cut mid-JSON, and cut between the event's line and the blank line that would end it.
    for (const ending of ['data: {"id":"chatcmpl-1","choices":[{"ind', chunk({}, 'stop').slice(0, -1)]) {
      const { fetch } = fetchAnswering(() => sse([chunk({ content: 'partial' }), ending]));
      const failure = asProviderError(await streamError(chat(fetch).stream(BASIC_CONTEXT)));
      expect(failure.kind).toBe('transport');
      expect(failure.partialOutput).toBe(true);
      expect(failure.message).toContain('the stream ended before a finish_reason arrived');
    }
  });

  it('reports malformed JSON in an event as a transport error', async () => {
    const { fetch } = fetchAnswering(() => sse([chunk({ content: 'a' }), 'data: {"choices": [\n\n']));
    const failure = asProviderError(await streamError(chat(fetch).stream(BASIC_CONTEXT)));
    expect(failure.kind).toBe('transport');
    expect(failure.message).toContain('malformed data in the response');
  });
});

describe('OpenAI transport: HTTP errors', () => {
  it("reads the body's error object: the server's message, code, type and the retry-after header", async () => {
    const { fetch } = fetchAnswering(() =>
      json(
        429,
        {
          error: {
            message: 'Rate limit reached',
            type: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          },
        },
        { 'retry-after': '3' },
      ),
    );
    const failure = asProviderError(await streamError(chat(fetch).stream(BASIC_CONTEXT)));
    expect(failure.kind).toBe('rate_limited');
    expect(failure.status).toBe(429);
    expect(failure.retryAfterMs).toBe(3000);
    expect(failure.message).toBe('openai (test-model): Rate limit reached (HTTP 429)');
  });

  it('classifies by the body code when the status says less (context overflow on a 400)', async () => {
    const { fetch } = fetchAnswering(() =>
      json(400, {
        error: { message: 'Too long.', type: 'invalid_request_error', code: 'context_length_exceeded' },
      }),
    );
    const failure = asProviderError(await streamError(chat(fetch).stream(BASIC_CONTEXT)));
    expect(failure.kind).toBe('context_overflow');
  });

  it.each([
    [
      'a proxy page',
      502,
      'text/html',
      '<html><body>Bad Gateway</body></html>',
      '<html><body>Bad Gateway</body></html>',
    ],
    ['plain text', 503, 'text/plain', 'upstream connect error', 'upstream connect error'],
    ['an empty body', 500, 'text/plain', '', 'status code (no body)'],
    [
      'JSON without an error object',
      404,
      'application/json',
      '{"detail":"Not Found"}',
      'status code (no body)',
    ],
    [
      'an error that is a string',
      400,
      'application/json',
      '{"error":"model not loaded"}',
      '"model not loaded"',
    ],
  ])('words an error body that is %s as the SDK did', async (_, status, type, text, message) => {
    const { fetch } = fetchAnswering(() => new Response(text, { status, headers: { 'content-type': type } }));
    const failure = asProviderError(await streamError(chat(fetch).stream(BASIC_CONTEXT)));
    expect(failure.status).toBe(status);
    expect(failure.message).toBe(`openai (test-model): ${message} (HTTP ${status})`);
  });
});

describe('OpenAI transport: what is sent', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('joins the path to the base URL with one slash, and sends our headers with the key', async () => {
    for (const baseURL of ['http://127.0.0.1:9/v1', 'http://127.0.0.1:9/v1/']) {
      const { fetch, sent } = fetchAnswering(() => sse([HELLO_STREAM]));
      await collectResponse(chat(fetch, { baseURL }).stream(BASIC_CONTEXT));
      expect(sent[0]?.url).toBe('http://127.0.0.1:9/v1/chat/completions');
      expect(sent[0]?.headers).toEqual({
        accept: 'application/json',
        'content-type': 'application/json',
        'user-agent': 'oxydra/0.1.0',
        authorization: `Bearer ${TEST_KEY}`,
      });
    }
  });

  it('lets extra headers replace ours, whatever their case', async () => {
    const { fetch, sent } = fetchAnswering(() => sse([HELLO_STREAM]));
    const extraHeaders = {
      Authorization: 'Bearer proxy-token',
      'User-Agent': 'my-app/2',
      'X-Title': 'oxydra',
    };
    await collectResponse(chat(fetch, { extraHeaders }).stream(BASIC_CONTEXT));
    expect(sent[0]?.headers.authorization).toBe('Bearer proxy-token');
    expect(sent[0]?.headers['user-agent']).toBe('my-app/2');
    expect(sent[0]?.headers['x-title']).toBe('oxydra');
  });

  it('never sends what OPENAI_* environment variables hold', async () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-from-the-environment');
    vi.stubEnv('OPENAI_ORG_ID', 'org-from-the-environment');
    vi.stubEnv('OPENAI_PROJECT_ID', 'proj-from-the-environment');
    vi.stubEnv('OPENAI_BASE_URL', 'http://127.0.0.1:8/elsewhere');
    vi.stubEnv('OPENAI_CUSTOM_HEADERS', 'X-Leak: from-the-environment');
    const chatFetch = fetchAnswering(() => sse([HELLO_STREAM]));
    await collectResponse(chat(chatFetch.fetch, { apiKey: undefined }).stream(BASIC_CONTEXT));
    const responsesFetch = fetchAnswering(() => json(400, { error: { message: 'stop here' } }));
    const responses = createOpenAIResponsesProvider({
      name: 'openai',
      baseURL: BASE,
      fetch: responsesFetch.fetch,
    });
    await streamError(responses.stream(BASIC_CONTEXT));
    const embedFetch = fetchAnswering(() => json(200, { data: [{ index: 0, embedding: [1] }] }));
    await createOpenAIEmbedder({ baseURL: BASE, dimensions: 1, fetch: embedFetch.fetch }).embed(['x']);

    const sent = [chatFetch.sent[0], responsesFetch.sent[0], embedFetch.sent[0]];
    expect(sent.map((request) => request?.url)).toEqual([
      `${BASE}/chat/completions`,
      `${BASE}/responses`,
      `${BASE}/embeddings`,
    ]);
    for (const request of sent) {
      expect(request?.headers.authorization).toBe('Bearer no-api-key');
      expect(JSON.stringify(request)).not.toContain('from-the-environment');
    }
  });
});

describe('OpenAI transport: timeouts', () => {
  /** A fetch that only ends when its signal aborts, like a server that never answers. */
  const neverAnswers: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
    });

  it('gives up with a retriable transport error when the response does not start in time', async () => {
    const failure = asProviderError(
      await streamError(chat(neverAnswers, { timeoutMs: 5 }).stream(BASIC_CONTEXT)),
    );
    expect(failure.kind).toBe('transport');
    expect(failure.retriable).toBe(true);
    expect(failure.message).toBe('openai (test-model): the request timed out');
  });

  it('does not bound a stream that started in time', async () => {
    const { fetch } = fetchAnswering(() => sse(HELLO_STREAM.split(/(?<=\n\n)/), 15));
    const response = await collectResponse(chat(fetch, { timeoutMs: 5 }).stream(BASIC_CONTEXT));
    expect(response.message.content).toBe('Héllo wörld 🌍');
  });
});

describe('OpenAI transport: Responses chaining on our own error', () => {
  const responseEvents = (id: string) =>
    [
      { type: 'response.created', response: { id, status: 'in_progress' } },
      { type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: 'msg_1' } },
      { type: 'response.output_text.delta', output_index: 0, delta: 'ok' },
      { type: 'response.completed', response: { id, status: 'completed', usage: { input_tokens: 1 } } },
    ]
      .map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)
      .join('');

  it('retries in full when a 404 names previous_response_id only in its param', async () => {
    const { fetch, sent } = fetchAnswering(
      () => sse([responseEvents('resp_1')]),
      () =>
        json(404, {
          error: { message: 'Not found.', type: 'invalid_request_error', param: 'previous_response_id' },
        }),
      () => sse([responseEvents('resp_2')]),
    );
    const provider = createOpenAIResponsesProvider({
      name: 'openai',
      baseURL: BASE,
      apiKey: TEST_KEY,
      fetch,
    });
    const first: Context = { model: 'test-model', messages: [{ role: 'user', content: 'hi' }] };
    const answer = await collectResponse(provider.stream(first));
    const next: Context = {
      ...first,
      messages: [...first.messages, answer.message, { role: 'user', content: 'more' }],
    };
    const reply = await collectResponse(provider.stream(next));
    expect(reply.message.content).toBe('ok');
    expect(sent).toHaveLength(3);
    expect(sent[1]?.body.previous_response_id).toBe('resp_1');
    expect(sent[1]?.body.input).toEqual([{ role: 'user', content: 'more' }]);
    expect(sent[2]?.body).not.toHaveProperty('previous_response_id');
    expect(sent[2]?.body.input).toHaveLength(3);
  });
});

describe('OpenAI embeddings transport', () => {
  const VALUES = [0.5, -1.25, 3.0000001, 1e-30, -0];
  const REVERSED = [...VALUES].reverse();
  const base64 = (values: number[]) => Buffer.from(Float32Array.from(values).buffer).toString('base64');
  /** A model we know no size of: the embedder takes the first answer's. */
  const embedder = (fetcher: typeof fetch) =>
    createOpenAIEmbedder({ baseURL: BASE, apiKey: TEST_KEY, model: 'local-embedder', fetch: fetcher });

  it('asks for base64, decodes little-endian float32s, and keeps each input at its index', async () => {
    const { fetch, sent } = fetchAnswering(() =>
      json(200, {
        object: 'list',
        data: [
          { object: 'embedding', index: 1, embedding: base64(REVERSED) },
          { object: 'embedding', index: 0, embedding: base64(VALUES) },
        ],
        usage: { prompt_tokens: 4, total_tokens: 4 },
      }),
    );
    const vectors = await embedder(fetch).embed(['a', 'b']);
    expect(sent[0]?.body.encoding_format).toBe('base64');
    expect(vectors.map((vector) => Array.from(vector))).toEqual([
      Array.from(Float32Array.from(VALUES)),
      Array.from(Float32Array.from(REVERSED)),
    ]);
    expect(vectors[0]).toBeInstanceOf(Float32Array);
  });

  it('also takes lists of numbers, from servers that ignore encoding_format', async () => {
    // Without the -0, which JSON cannot carry.
    const values = VALUES.slice(0, 4);
    const { fetch } = fetchAnswering(() => json(200, { data: [{ index: 0, embedding: values }] }));
    const [vector] = await embedder(fetch).embed(['a']);
    expect(Array.from(vector ?? [])).toEqual(Array.from(Float32Array.from(values)));
  });

  it.each([
    [
      'base64 that is not whole float32s',
      { data: [{ index: 0, embedding: 'AAAAAAA=' }] },
      'not whole float32 values',
    ],
    [
      'an embedding of another kind',
      { data: [{ index: 0, embedding: { values: [1] } }] },
      'neither base64 nor',
    ],
    ['no data', { object: 'list' }, 'no embedding for input 0 of 1'],
  ])('refuses an answer with %s', async (_, answer, message) => {
    const { fetch } = fetchAnswering(() => json(200, answer));
    const failure = await embedder(fetch)
      .embed(['a'])
      .catch((caught: unknown) => caught);
    expect(asProviderError(failure).message).toContain(message);
  });

  it('reports an answer that is not JSON as malformed', async () => {
    const { fetch } = fetchAnswering(() => new Response('<html>ok</html>', { status: 200 }));
    const failure = await embedder(fetch)
      .embed(['a'])
      .catch((caught: unknown) => caught);
    expect(asProviderError(failure).kind).toBe('transport');
    expect((failure as Error).message).toContain('malformed data in the response');
  });
});
