/** Fault injection: HTTP errors in each API's envelope, retry headers, stream cuts, broken chunks, in-stream errors. */
import { MOCK_APIS, type MockApi, type MockLLM, type ScenarioStep, startMockLLM } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { pollUntil } from '../src/helpers/index.js';
import {
  call,
  endpoint,
  type Loose,
  parseSse,
  post,
  readAll,
  requestBody,
  sseJson,
  streamedText,
} from './helpers.js';
import { WIRE_CASES } from './wire-cases.js';

let mock: MockLLM | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function start(api: MockApi, steps: ScenarioStep[]): Promise<MockLLM> {
  mock = await startMockLLM({ api, scenario: steps });
  return mock;
}

describe('status faults', () => {
  it('429 with retry-after: each API envelope, and the header', async () => {
    for (const api of MOCK_APIS) {
      const m = await start(api, [{ fault: { status: 429, retryAfter: 3 } }]);
      const res = await call(m);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('3');
      expect(res.headers.get('retry-after-ms')).toBeNull();
      WIRE_CASES[api].expectRateLimited(await res.json());
      await m.close();
    }
  });

  it('retryAfterMs is sent as retry-after-ms', async () => {
    const m = await start('openai-chat', [{ fault: { status: 429, retryAfterMs: 1500 } }]);
    const res = await call(m);
    expect(res.headers.get('retry-after-ms')).toBe('1500');
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('server errors and auth errors use each API status and type', async () => {
    const got: string[] = [];
    const expected: string[] = [];
    for (const api of MOCK_APIS) {
      for (const [status, pick, kind] of WIRE_CASES[api].statusKinds) {
        const m = await start(api, [{ fault: { status } }]);
        const res = await call(m);
        got.push(`${api} ${res.status} ${pick(await res.json())}`);
        expected.push(`${api} ${status} ${kind}`);
        await m.close();
      }
    }
    expect(got).toEqual(expected);
  });

  it('context overflow uses each provider real error', async () => {
    for (const api of MOCK_APIS) {
      const m = await start(api, [{ fault: { status: 400, contextOverflow: true } }]);
      const res = await call(m);
      expect(res.status, api).toBe(400);
      WIRE_CASES[api].expectContextOverflow(await res.json());
      await m.close();
    }
  });

  it('Gemini pretty-prints error bodies', async () => {
    const m = await start('gemini', [{ fault: { status: 503 } }]);
    const text = await (await call(m)).text();
    expect(text.startsWith('{\n  "error": {\n    "code": 503,')).toBe(true);
  });

  it('a fault with times recurs, then the next step answers; non-streaming calls get it too', async () => {
    const m = await start('anthropic', [
      { fault: { status: 529 }, times: 2 },
      { reply: { text: 'finally' } },
    ]);
    expect((await call(m, 'a', false)).status).toBe(529);
    expect((await call(m)).status).toBe(529);
    const ok = await call(m);
    expect(ok.status).toBe(200);
    expect(streamedText('anthropic', await ok.text())).toBe('finally');
  });

  it('uses a custom message when given', async () => {
    const m = await start('openai-responses', [{ fault: { status: 400, message: 'bad tools' } }]);
    expect(((await (await call(m)).json()) as Loose).error.message).toBe('bad tools');
  });
});

describe('stream faults', () => {
  it('cutAfterEvents destroys the connection after exactly n events', async () => {
    for (const api of MOCK_APIS) {
      const m = await start(api, [
        { reply: { text: 'one two three four five' }, fault: { cutAfterEvents: 2 } },
      ]);
      const res = await call(m);
      expect(res.status).toBe(200);
      const { text, error } = await readAll(res);
      expect(error, api).toBeDefined();
      expect(parseSse(text), api).toHaveLength(2);
      await m.close();
    }
  });

  it('cutAfterEvents: 0 sends headers and no event', async () => {
    const m = await start('openai-chat', [{ reply: { text: 'x' }, fault: { cutAfterEvents: 0 } }]);
    const { text, error } = await readAll(await call(m));
    expect(text).toBe('');
    expect(error).toBeDefined();
  });

  it('a cut non-streaming body arrives truncated', async () => {
    const m = await start('openai-chat', [{ reply: { text: 'hello world' }, fault: { cutAfterEvents: 1 } }]);
    const { text, error } = await readAll(await call(m, 'x', false));
    expect(error).toBeDefined();
    expect(() => JSON.parse(text)).toThrow();
  });

  it('malformedChunk breaks the JSON of one data line and leaves the others intact', async () => {
    for (const api of MOCK_APIS) {
      const m = await start(api, [{ reply: { text: 'one two three' }, fault: { malformedChunk: true } }]);
      const events = parseSse(await (await call(m)).text());
      const broken = events.filter((e) => {
        try {
          JSON.parse(e.data);
          return false;
        } catch {
          return e.data !== '[DONE]';
        }
      });
      expect(broken, api).toHaveLength(1);
      expect(events.indexOf(broken[0] as (typeof events)[number]), api).toBe(1);
      await m.close();
    }
  });

  it('malformedChunk can target a given event', async () => {
    const m = await start('anthropic', [
      { reply: { text: 'hi' }, fault: { malformedChunk: { atEvent: 0 } } },
    ]);
    const events = parseSse(await (await call(m)).text());
    expect(events[0]?.event).toBe('message_start');
    expect(() => JSON.parse(events[0]?.data ?? '')).toThrow();
    expect(() => JSON.parse(events[1]?.data ?? '')).not.toThrow();
  });

  it('slowChunksMs still delivers the whole stream', async () => {
    const m = await start('gemini', [{ reply: { text: 'a b c' }, fault: { slowChunksMs: 5 } }]);
    expect(streamedText('gemini', await (await call(m)).text())).toBe('a b c');
  });

  it('a client aborting a slow stream does not disturb the server', async () => {
    const m = await start('openai-chat', [
      { reply: { text: 'a b c d e f' }, fault: { slowChunksMs: 60_000 } },
      { reply: { text: 'next' } },
    ]);
    const controller = new AbortController();
    const res = await post(
      m,
      endpoint('openai-chat'),
      requestBody('openai-chat', 'x'),
      {},
      controller.signal,
    );
    const reader = res.body?.getReader();
    await reader?.read();
    controller.abort();
    await expect(reader?.read()).rejects.toThrow();
    const next = await call(m);
    expect(streamedText('openai-chat', await next.text())).toBe('next');
  });

  it('a slow non-streaming answer can be abandoned by the client, and the server goes on', async () => {
    const m = await start('anthropic', [
      { reply: { text: 'late' }, fault: { slowChunksMs: 60_000 } },
      { reply: { text: 'on time' } },
    ]);
    const controller = new AbortController();
    const pending = post(
      m,
      endpoint('anthropic', { stream: false }),
      requestBody('anthropic', 'x', false),
      {},
      controller.signal,
    );
    await pollUntil(
      () => m.requests.length === 1,
      () => `1 request (saw ${m.requests.length})`,
      {
        timeoutMs: 1000,
        intervalMs: 50,
      },
    );
    controller.abort();
    await expect(pending).rejects.toThrow();
    const res = await call(m, 'y', false);
    expect(((await res.json()) as Loose).content).toEqual([{ type: 'text', text: 'on time' }]);
  });

  it('close() drops a stream in progress', async () => {
    const m = await start('anthropic', [{ reply: { text: 'a b c' }, fault: { slowChunksMs: 60_000 } }]);
    const res = await call(m);
    const reader = res.body?.getReader();
    await reader?.read();
    await m.close();
    await expect(reader?.read()).rejects.toThrow();
  });
});

describe('in-stream errors', () => {
  it('anthropic: event: error after message_start', async () => {
    const m = await start('anthropic', [{ reply: { text: 'hi' }, fault: { streamError: {} } }]);
    const res = await call(m);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(parseSse(text).map((e) => e.event)).toEqual(['message_start', 'error']);
    expect(text).toContain(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    );
  });

  it('openai-responses: error then response.failed, numbered after the events sent', async () => {
    const m = await start('openai-responses', [
      { reply: { text: 'hi' }, fault: { streamError: { afterEvents: 2, status: 429 } } },
    ]);
    const events = sseJson(await (await call(m)).text());
    expect(events.map((e) => [e.type, e.sequence_number])).toEqual([
      ['response.created', 0],
      ['response.in_progress', 1],
      ['error', 2],
      ['response.failed', 3],
    ]);
    expect(events[2].error).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(events[3].response).toMatchObject({
      status: 'failed',
      error: { code: 'rate_limit_exceeded' },
      usage: null,
    });
  });

  it('openai-chat and gemini: a lone data: {"error": ...} line, no [DONE]', async () => {
    const chat = await start('openai-chat', [{ reply: { text: 'hi' }, fault: { streamError: {} } }]);
    const chatEvents = parseSse(await (await call(chat)).text());
    expect(chatEvents).toHaveLength(2);
    expect(JSON.parse(chatEvents[1]?.data ?? '')).toMatchObject({ error: { type: 'server_error' } });
    await chat.close();

    const gem = await start('gemini', [
      { reply: { text: 'hi' }, fault: { streamError: { afterEvents: 0 } } },
    ]);
    const gemEvents = sseJson(await (await call(gem)).text());
    expect(gemEvents).toEqual([{ error: expect.objectContaining({ code: 503, status: 'UNAVAILABLE' }) }]);
  });

  it('a non-streaming call gets the in-stream error as an HTTP error', async () => {
    const m = await start('anthropic', [{ reply: { text: 'hi' }, fault: { streamError: {} } }]);
    const res = await call(m, 'x', false);
    expect(res.status).toBe(529);
    expect(((await res.json()) as Loose).error.type).toBe('overloaded_error');
  });
});
