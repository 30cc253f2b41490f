/**
 * The Gemini adapter's own wire code (it speaks the API on fetch + eventsource-parser): the
 * requests against what @google/genai sent (fixtures/gemini-requests.json), URL composition,
 * error bodies, SSE framing across reads, automatic continuation.
 */
import { readFileSync } from 'node:fs';
import { type Context, type ModelEvent, ProviderError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import type { AdapterOptions } from '../src/adapters/define.js';
import { createGeminiProvider, MAX_GEMINI_REQUESTS_PER_REPLY } from '../src/adapters/gemini/provider.js';
import { geminiWireSchema } from '../src/adapters/gemini/schema.js';
import { geminiApiRoot, geminiStreamUrl } from '../src/adapters/gemini/wire.js';
import { createGeminiEmbedder } from '../src/embeddings/index.js';
import { USER_AGENT } from '../src/shared/http.js';
import { BASIC_CONTEXT, collectEvents, streamError, TEST_KEY } from './helpers-adapters.js';

interface Recorded {
  name: string;
  options: Partial<AdapterOptions> & { apiKey?: string | null };
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const RECORDED = JSON.parse(
  readFileSync(new URL('fixtures/gemini-requests.json', import.meta.url), 'utf8'),
) as {
  chat: (Recorded & { context: Context })[];
  embeddings: (Recorded & { texts: string[] })[];
};
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

interface Sent {
  url: string;
  method: string | undefined;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that records each request and answers with `reply(request, index)`. */
function recordingFetch(reply: (sent: Sent, index: number) => Response): {
  fetch: typeof fetch;
  sent: Sent[];
} {
  const sent: Sent[] = [];
  const fetcher = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const request = { url: String(input), method: init?.method, headers, body: String(init?.body) };
    sent.push(request);
    return reply(request, sent.length - 1);
  };
  return { fetch: fetcher as typeof fetch, sent };
}

const encoder = new TextEncoder();

/** An SSE answer delivered in exactly these reads (strings, or bytes to split UTF-8). */
function sse(reads: (string | Uint8Array)[], init: ResponseInit = {}): Response {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const read of reads) controller.enqueue(typeof read === 'string' ? encoder.encode(read) : read);
      controller.close();
    },
  });
  return new Response(stream, { headers: { 'content-type': 'text/event-stream' }, ...init });
}

const chunk = (text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0, ...extra }] });
const FINAL = JSON.stringify({
  candidates: [{ content: { parts: [{ text: '!' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 3, totalTokenCount: 7 },
});

function provider(fetcher: typeof fetch, options: Partial<AdapterOptions> = {}) {
  return createGeminiProvider({
    name: 'gemini',
    baseURL: 'https://generativelanguage.googleapis.com',
    apiKey: TEST_KEY,
    fetch: fetcher,
    ...options,
  });
}

function texts(events: ModelEvent[]): string {
  return events.map((event) => (event.type === 'text_delta' ? event.text : '')).join('');
}

async function failure(events: AsyncIterable<ModelEvent>): Promise<ProviderError> {
  const error = await streamError(events);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const withoutSdkHeaders = ({
  'user-agent': _agent,
  'x-goog-api-client': _client,
  ...rest
}: Record<string, string>) => rest;

describe('Gemini requests, against what @google/genai sent', () => {
  for (const recorded of RECORDED.chat) {
    it(`sends the same request: ${recorded.name}`, async () => {
      const { fetch: fetcher, sent } = recordingFetch(() => sse([`data: ${FINAL}\r\n\r\n`]));
      const { apiKey, ...options } = recorded.options;
      const gemini = createGeminiProvider({
        name: 'gemini',
        baseURL: 'https://generativelanguage.googleapis.com',
        ...options,
        ...(apiKey === null ? {} : { apiKey: apiKey ?? 'test-key-123' }),
        fetch: fetcher,
      });
      await collectEvents(gemini.stream(recorded.context));
      expect(sent).toHaveLength(1);
      const [request] = sent;
      expect(request?.method).toBe(recorded.method);
      expect(request?.url).toBe(recorded.url);
      // Byte for byte: key order, escaping and number formatting included.
      expect(request?.body).toBe(recorded.body);
      expect(withoutSdkHeaders(request?.headers ?? {})).toEqual(withoutSdkHeaders(recorded.headers));
      expect(request?.headers['user-agent']).toBe(`oxydra/${VERSION}`);
    });
  }

  for (const recorded of RECORDED.embeddings) {
    it(`embeds with the same request: ${recorded.name}`, async () => {
      let size = 0;
      const { fetch: fetcher, sent } = recordingFetch((request) =>
        Response.json({
          embeddings: (JSON.parse(request.body) as { requests: unknown[] }).requests.map((_, i) => ({
            values: Array.from({ length: size }, () => i),
          })),
        }),
      );
      const embedder = createGeminiEmbedder({
        baseURL: 'https://generativelanguage.googleapis.com',
        apiKey: 'test-key-123',
        ...(recorded.options as object),
        fetch: fetcher,
      });
      size = embedder.dimensions;
      const vectors = await embedder.embed(recorded.texts);
      expect(vectors.map((vector) => vector[0])).toEqual(recorded.texts.map((_, i) => i));
      expect(sent[0]?.url).toBe(recorded.url);
      expect(sent[0]?.body).toBe(recorded.body);
      expect(withoutSdkHeaders(sent[0]?.headers ?? {})).toEqual(withoutSdkHeaders(recorded.headers));
    });
  }

  it('names its own user agent after the package version', () => {
    expect(USER_AGENT).toBe(`oxydra/${VERSION}`);
  });
});

describe('Gemini URL composition', () => {
  it.each([
    ['https://generativelanguage.googleapis.com', 'https://generativelanguage.googleapis.com/v1beta'],
    ['https://generativelanguage.googleapis.com///', 'https://generativelanguage.googleapis.com/v1beta'],
    ['https://generativelanguage.googleapis.com/v1', 'https://generativelanguage.googleapis.com/v1'],
    [
      'https://generativelanguage.googleapis.com/v1alpha/',
      'https://generativelanguage.googleapis.com/v1alpha',
    ],
    ['http://127.0.0.1:8080/proxy/gemini', 'http://127.0.0.1:8080/proxy/gemini/v1beta'],
    ['http://127.0.0.1:8080/proxy/v1beta', 'http://127.0.0.1:8080/proxy/v1beta'],
    ['http://127.0.0.1:8080/v2', 'http://127.0.0.1:8080/v2/v1beta'],
    ['http://127.0.0.1:8080/api/v1beta1', 'http://127.0.0.1:8080/api/v1beta1/v1beta'],
  ])('%s → %s', (base, root) => {
    expect(geminiApiRoot(base)).toBe(root);
  });

  it('prefixes models/ unless the name has it (or is a tuned model), and normalises the URL', () => {
    const root = geminiApiRoot('HTTPS://Gemini.Example:443/a b');
    expect(geminiStreamUrl(root, 'gemini-2.5-flash')).toBe(
      'https://gemini.example/a%20b/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
    expect(geminiStreamUrl(root, 'models/x')).toBe(
      'https://gemini.example/a%20b/v1beta/models/x:streamGenerateContent?alt=sse',
    );
    expect(geminiStreamUrl(root, 'tunedModels/t1')).toBe(
      'https://gemini.example/a%20b/v1beta/tunedModels/t1:streamGenerateContent?alt=sse',
    );
  });

  it('refuses a model name that would leave the models path, sending nothing', async () => {
    const { fetch: fetcher, sent } = recordingFetch(() => sse([]));
    for (const model of ['../files', 'm?key=x', 'a&b']) {
      const error = await failure(provider(fetcher).stream({ ...BASIC_CONTEXT, model }));
      expect(error.kind).toBe('bad_request');
      expect(error.message).toContain('invalid model name');
    }
    expect(sent).toHaveLength(0);
  });

  it('lets extra headers replace its own, whatever their case', async () => {
    const { fetch: fetcher, sent } = recordingFetch(() => sse([`data: ${FINAL}\n\n`]));
    await collectEvents(
      provider(fetcher, {
        extraHeaders: { 'User-Agent': 'custom/1', 'X-Goog-Api-Key': 'override', 'x-goog-user-project': 'p' },
      }).stream(BASIC_CONTEXT),
    );
    expect(sent[0]?.headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'custom/1',
      'x-goog-api-key': 'override',
      'x-goog-user-project': 'p',
    });
  });
});

describe('Gemini error answers', () => {
  const answer = (body: string | null, init: ResponseInit) =>
    recordingFetch(() => new Response(body, init)).fetch;

  it('a JSON error object: its message, status code and RetryInfo wait', async () => {
    const body = JSON.stringify(
      {
        error: {
          code: 429,
          message: 'Quota exceeded for metric generate_content_requests',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }],
        },
      },
      null,
      2,
    );
    const error = await failure(
      provider(
        answer(body, { status: 429, headers: { 'content-type': 'application/json; charset=UTF-8' } }),
      ).stream(BASIC_CONTEXT),
    );
    expect(error.kind).toBe('rate_limited');
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(37_000);
    expect(error.message).toBe(
      'gemini (test-model): Quota exceeded for metric generate_content_requests (HTTP 429)',
    );
    // A retry-after header wins over the body's wait.
    const headed = await failure(
      provider(answer(body, { status: 429, headers: { 'retry-after': '5' } })).stream(BASIC_CONTEXT),
    );
    expect(headed.retryAfterMs).toBe(5000);
  });

  it('a JSON body without a message is shown whole (compact), as before', async () => {
    const error = await failure(
      provider(answer('{ "error": { "code": 400, "status": "INVALID_ARGUMENT" } }', { status: 400 })).stream(
        BASIC_CONTEXT,
      ),
    );
    expect(error.kind).toBe('bad_request');
    expect(error.message).toBe(
      'gemini (test-model): {"error":{"code":400,"status":"INVALID_ARGUMENT"}} (HTTP 400)',
    );
  });

  it('a body that is not JSON: its text, and the kind its status gives', async () => {
    const error = await failure(
      provider(
        answer('<html><body>Bad Gateway</body></html>', {
          status: 502,
          statusText: 'Bad Gateway',
          headers: { 'content-type': 'text/html' },
        }),
      ).stream(BASIC_CONTEXT),
    );
    expect(error.kind).toBe('transport');
    expect(error.status).toBe(502);
    expect(error.message).toBe('gemini (test-model): <html><body>Bad Gateway</body></html> (HTTP 502)');
  });

  it('broken JSON keeps its status (the SDK made it a status-less "malformed data" error)', async () => {
    const error = await failure(
      provider(answer('{"error": ', { status: 401, headers: { 'content-type': 'application/json' } })).stream(
        BASIC_CONTEXT,
      ),
    );
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(401);
  });

  it('an empty body says the reason phrase, or that there was no message', async () => {
    const empty = await failure(
      provider(answer('', { status: 503, statusText: 'Service Unavailable' })).stream(BASIC_CONTEXT),
    );
    expect(empty.kind).toBe('overloaded');
    expect(empty.status).toBe(503);
    expect(empty.message).toBe('gemini (test-model): Service Unavailable (HTTP 503)');
    const bare = await failure(provider(answer(null, { status: 500 })).stream(BASIC_CONTEXT));
    expect(bare.kind).toBe('overloaded');
    expect(bare.message).toBe('gemini (test-model): no error message (HTTP 500)');
  });

  it('a JSON error object answered with status 200 is that error', async () => {
    const body = JSON.stringify(
      { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } },
      null,
      2,
    );
    const error = await failure(
      provider(
        recordingFetch(() => sse([body], { headers: { 'content-type': 'application/json' } })).fetch,
      ).stream(BASIC_CONTEXT),
    );
    expect(error.kind).toBe('rate_limited');
    expect(error.status).toBe(429);
    expect(error.message).toBe('gemini (test-model): slow down (HTTP 429)');
  });

  it('an error event in the stream, with and without a message; other "error" fields are not failures', async () => {
    const withMessage = await failure(
      provider(
        recordingFetch(() =>
          sse([
            `data: ${chunk('Hi')}\r\n\r\n`,
            'data: {"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}\r\n\r\n',
          ]),
        ).fetch,
      ).stream(BASIC_CONTEXT),
    );
    expect(withMessage).toMatchObject({ kind: 'overloaded', status: 503, partialOutput: true });
    expect(withMessage.message).toBe('gemini (test-model): overloaded (HTTP 503)');
    const bare = await failure(
      provider(
        recordingFetch(() => sse(['data: {"error":{"code":500,"status":"INTERNAL"}}\n\n'])).fetch,
      ).stream(BASIC_CONTEXT),
    );
    expect(bare.message).toBe(
      'gemini (test-model): got status: INTERNAL. {"error":{"code":500,"status":"INTERNAL"}} (HTTP 500)',
    );
    const events = await collectEvents(
      provider(
        recordingFetch(() =>
          sse([
            `data: {"error":{"code":"503","message":"a string code"}}\n\ndata: {"error":{"code":200}}\n\ndata: ${FINAL}\n\n`,
          ]),
        ).fetch,
      ).stream(BASIC_CONTEXT),
    );
    expect(texts(events)).toBe('!');
  });
});

describe('Gemini SSE framing', () => {
  const EXPECTED = 'Hello, wörld 🙂!';
  const first = `data: ${chunk('Hello, wörld 🙂')}`;

  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
    ['CR', '\r'],
  ])('reads %s framing, the last CR included', async (_name, eol) => {
    const events = await collectEvents(
      provider(recordingFetch(() => sse([`${first}${eol}${eol}data: ${FINAL}${eol}${eol}`])).fetch).stream(
        BASIC_CONTEXT,
      ),
    );
    expect(texts(events)).toBe(EXPECTED);
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'stop' });
  });

  it('joins an event split across reads: in "data:", in the JSON, in a CRLF, inside a UTF-8 character', async () => {
    const whole = encoder.encode(`${first}\r\n\r\ndata: ${FINAL}\r\n\r\n`);
    const emoji = whole.indexOf(0xf0); // the first byte of 🙂
    const crlf = whole.indexOf(13); // the first \r
    const cuts = [2, 40, emoji + 1, emoji + 3, crlf + 1, crlf + 3, whole.length - 1];
    const reads = cuts.map((cut, i) => whole.slice(i === 0 ? 0 : cuts[i - 1], cut));
    reads.push(whole.slice(cuts.at(-1)));
    const events = await collectEvents(
      provider(recordingFetch(() => sse(reads)).fetch).stream(BASIC_CONTEXT),
    );
    expect(texts(events)).toBe(EXPECTED);
    expect(events.filter((event) => event.type === 'text_delta')).toHaveLength(2);
    expect(events.find((event) => event.type === 'usage')).toMatchObject({
      usage: { inputTokens: 4, outputTokens: 3 },
    });
  });

  it('reads one event per read and several events in one read alike', async () => {
    const one = await collectEvents(
      provider(recordingFetch(() => sse([`${first}\n\n`, `data: ${FINAL}\n\n`])).fetch).stream(BASIC_CONTEXT),
    );
    const both = await collectEvents(
      provider(recordingFetch(() => sse([`${first}\n\ndata: ${FINAL}\n\n`])).fetch).stream(BASIC_CONTEXT),
    );
    expect(both).toEqual(one);
  });

  it('skips a BOM, comments and chunks that are not objects', async () => {
    const events = await collectEvents(
      provider(
        recordingFetch(() =>
          sse([`\uFEFF: keep-alive\r\n\r\ndata: null\r\n\r\ndata: [1]\r\n\r\ndata:${FINAL}\r\n\r\n`]),
        ).fetch,
      ).stream(BASIC_CONTEXT),
    );
    expect(texts(events)).toBe('!');
  });

  it('an event left unterminated when the body ends is a cut stream (transport), as with the SDK', async () => {
    for (const tail of [`data: ${chunk('more')}`, `data: ${chunk('more')}\n`, '{"candidates":']) {
      const error = await failure(
        provider(recordingFetch(() => sse([`${first}\r\n\r\n`, tail])).fetch).stream(BASIC_CONTEXT),
      );
      expect(error.kind).toBe('transport');
      expect(error.partialOutput).toBe(true);
      expect(error.message).toContain('Incomplete JSON segment at the end');
    }
  });

  it('malformed JSON in an event is a transport error', async () => {
    const error = await failure(
      provider(recordingFetch(() => sse([`${first}\n\ndata: {"candidates": [\n\n`])).fetch).stream(
        BASIC_CONTEXT,
      ),
    );
    expect(error.kind).toBe('transport');
    expect(error.message).toContain('malformed data in the response');
  });
});

describe('Gemini automatic continuation', () => {
  const usage = (prompt: number, output: number) => ({
    promptTokenCount: prompt,
    candidatesTokenCount: output,
    totalTokenCount: prompt + output,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  });
  const stop = (token: string) =>
    JSON.stringify({
      candidates: [
        {
          content: { parts: [{ text: 'lo' }], role: 'model' },
          finishReason: 'CONTINUATION',
          continuationToken: token,
          index: 0,
        },
      ],
      usageMetadata: usage(10, 5),
    });
  const done = JSON.stringify({
    candidates: [{ content: { parts: [{ text: ' world' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: usage(12, 3),
  });

  it('sends the request again with the token and reads the answers as one reply', async () => {
    const { fetch: fetcher, sent } = recordingFetch((_request, index) =>
      sse(
        index === 0
          ? [`data: ${chunk('Hel')}\r\n\r\ndata: ${stop('tok-1')}\r\n\r\n`]
          : [`data: ${done}\r\n\r\n`],
      ),
    );
    const events = await collectEvents(provider(fetcher).stream(BASIC_CONTEXT));
    expect(sent).toHaveLength(2);
    expect(sent[1]?.url).toBe(sent[0]?.url);
    // The same body with the token, where the SDK put it (before generationConfig).
    expect(sent[1]?.body).toBe(
      sent[0]?.body.replace('"generationConfig"', '"continuationToken":"tok-1","generationConfig"'),
    );
    expect(texts(events)).toBe('Hello world');
    expect(events.filter((event) => event.type === 'finish')).toEqual([
      { type: 'finish', reason: 'stop', rawReason: 'STOP' },
    ]);
    const reported = events.find((event) => event.type === 'usage');
    expect(reported).toMatchObject({ usage: { inputTokens: 22, outputTokens: 8, totalTokens: 30 } });
    expect(reported?.type === 'usage' && reported.usage.raw).toEqual({
      ...usage(22, 8),
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 22 }],
    });
  });

  it('stops when the token does not change, and after a bounded number of requests', async () => {
    const same = recordingFetch(() => sse([`data: ${stop('tok-1')}\n\n`]));
    const events = await collectEvents(provider(same.fetch).stream(BASIC_CONTEXT));
    expect(same.sent).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'other', rawReason: 'CONTINUATION' });

    const endless = recordingFetch((_request, index) => sse([`data: ${stop(`tok-${index}`)}\n\n`]));
    const last = await collectEvents(provider(endless.fetch).stream(BASIC_CONTEXT));
    expect(endless.sent).toHaveLength(MAX_GEMINI_REQUESTS_PER_REPLY);
    expect(last.at(-1)).toMatchObject({ type: 'finish', rawReason: 'CONTINUATION' });
  });

  it('a failing continuation request fails the call after the output so far', async () => {
    const { fetch: fetcher } = recordingFetch((_request, index) =>
      index === 0
        ? sse([`data: ${stop('tok-1')}\n\n`])
        : new Response('{"error":{"code":503,"message":"busy","status":"UNAVAILABLE"}}', { status: 503 }),
    );
    const error = await failure(provider(fetcher).stream(BASIC_CONTEXT));
    expect(error).toMatchObject({ kind: 'overloaded', status: 503, partialOutput: true });
  });
});

describe('geminiWireSchema', () => {
  it('folds null alternatives and type lists into nullable, and never throws', () => {
    expect(
      geminiWireSchema({
        type: 'object',
        additionalProperties: false,
        properties: {
          a: { anyOf: [{ type: 'null' }, { type: 'array', items: { type: 'string' } }] },
          b: { type: ['integer', 'null'] },
          c: { anyOf: [{ type: 'string' }, { type: 'null' }, { type: 'number' }] },
          d: { type: 'string', anyOf: [{ type: 'string' }, { type: 'integer' }] },
          e: { type: 'null' },
          f: { type: 'uuid' },
        },
      }),
    ).toEqual({
      type: 'OBJECT',
      properties: {
        a: { nullable: true, type: 'ARRAY', items: { type: 'STRING' } },
        b: { nullable: true, type: 'INTEGER' },
        c: { nullable: true, anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }] },
        d: { type: 'STRING', anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }] },
        e: { type: 'NULL' },
        f: { type: 'TYPE_UNSPECIFIED' },
      },
    });
  });
});
