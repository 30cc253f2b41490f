/**
 * How the Gemini adapter reads answers on its own wire code (fetch + eventsource-parser): error
 * bodies, SSE framing across reads, and automatic continuation.
 */
import { describe, expect, it } from 'vitest';
import { MAX_GEMINI_REQUESTS_PER_REPLY } from '../src/adapters/gemini/provider.js';
import { BASIC_CONTEXT, collectEvents } from './helpers-adapters.js';
import {
  chunk,
  encoder,
  FINAL,
  failure,
  provider,
  recordingFetch,
  sse,
  texts,
} from './helpers-gemini-wire.js';

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

  it('bounds the reply, not each request: continuations share MAX_ANSWER_BYTES', async () => {
    // 17 MiB of text an answer, each asking to continue: the fourth passes 64 MiB. Before, each
    // request had a bound of its own, so 32 of them could bring 2 GiB to one reply.
    const big = 'x'.repeat(17 * 1024 * 1024);
    const { fetch: fetcher, sent } = recordingFetch((_request, index) =>
      sse([`data: ${chunk(big)}\n\n`, `data: ${index < 5 ? stop(`tok-${index}`) : done}\n\n`]),
    );
    const error = await failure(provider(fetcher).stream(BASIC_CONTEXT));
    expect(error).toMatchObject({ kind: 'bad_request' });
    expect(error.message).toContain('in one answer');
    expect(sent).toHaveLength(4);
  });
});
