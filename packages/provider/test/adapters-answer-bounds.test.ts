/**
 * What a server sends is bounded where nothing else bounds it. A refused request's answer is
 * another server's text, of any size: every adapter (and doctor's endpoint probe) reads only its
 * first REFUSAL_BODY_BYTES to word the error, then lets the connection go. Before, each read the
 * body whole: an error page that never ends held the run (and its memory) for as long as the
 * server kept sending. And a stream's one event may not grow past MAX_EVENT_CHARS: an endless
 * line grew the SSE parser's buffer (ours, or the Anthropic SDK's) until the process died. Real HTTP servers on loopback.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Context, ProviderError, providerEntrySchema } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { probeEndpoint } from '../src/factory/probe.js';
import { boundingEvents, MAX_EVENT_CHARS, REFUSAL_BODY_BYTES } from '../src/shared/bounded.js';
import { collectResponse } from '../src/shared/stream.js';
import { ADAPTERS_AT_PATHS, BASIC_CONTEXT, TEST_KEY } from './helpers-adapters.js';
import { closeEndlessServers, endlessAnswer, SOCKET_SLACK_BYTES, servers } from './helpers-endless.js';

afterEach(closeEndlessServers);

const context: Context = { ...BASIC_CONTEXT, model: 'test-model' };

describe('a refusal whose body never ends', () => {
  for (const [name, create, path] of ADAPTERS_AT_PATHS) {
    it(`${name}: fails as the refusal it is, from the body's first bytes, and lets the connection go`, async () => {
      const server = await endlessAnswer(400, '{"error": {"message": "model gone; ');
      const provider = create({ name: 'endless', baseURL: `${server.base}${path}`, apiKey: TEST_KEY });
      const error = await collectResponse(provider.stream(context)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ kind: 'bad_request' });
      expect((error as Error).message).toContain('model gone');
      // The server saw the client leave (before, it never did). What it sent is the bound plus
      // what the loopback socket's buffers took, which Linux grows to several MiB.
      const sent = await server.closed;
      expect(sent).toBeGreaterThan(REFUSAL_BODY_BYTES);
      expect(sent).toBeLessThan(SOCKET_SLACK_BYTES);
    });
  }

  it("doctor's probe: a Gemini listing refused with 400 and an endless body is a failed listing, promptly", async () => {
    const server = await endlessAnswer(400, '{"error": {"code": 400, "details": [');
    const entry = providerEntrySchema().parse({
      provider_type: 'gemini',
      base_url: server.base,
      api_key: TEST_KEY,
    });
    const result = await probeEndpoint(entry, { env: {} });
    expect(result).toMatchObject({ ok: false, problem: expect.stringContaining('answered HTTP 400') });
    expect(await server.closed).toBeLessThan(SOCKET_SLACK_BYTES);
  });
});

describe('a status outside 200-599', () => {
  it('is a failed request said as 502 with the real status in its text, not a crash', async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.socket?.end('HTTP/1.1 999 Odd\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n\r\nodd thing');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = createOpenAIChatProvider({ name: 'odd', baseURL: `${base}/v1`, apiKey: TEST_KEY });
    const error = await collectResponse(provider.stream(context)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toContain('odd thing');
    expect(error).toMatchObject({ status: 502 });
  });
});

describe('a streamed answer whose one event never ends', () => {
  // Anthropic's SDK reads its stream with a parser of its own: its fetch bounds the events for it.
  for (const [name, create, path] of ADAPTERS_AT_PATHS) {
    it(`${name}: fails once the event passes the bound, and lets the connection go`, async () => {
      const head = name.startsWith('anthropic')
        ? 'event: message_start\ndata: {"type": "message_start", "message": {"content": "'
        : 'data: {"choices": [{"delta": {"content": "';
      const server = await endlessAnswer(200, head, 'text/event-stream', 8000);
      const provider = create({ name: 'endless', baseURL: `${server.base}${path}`, apiKey: TEST_KEY });
      const error = await collectResponse(provider.stream(context)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as Error).message).toContain('without ending an event');
      expect(error).toMatchObject({ kind: 'bad_request' });
      const sent = await server.closed;
      expect(sent).toBeGreaterThan(MAX_EVENT_CHARS);
      expect(sent).toBeLessThan(MAX_EVENT_CHARS + SOCKET_SLACK_BYTES);
    });
  }
});

describe('boundingEvents', () => {
  it('passes a long stream of ordinary events untouched, whatever its line ends and read sizes', async () => {
    for (const end of ['\n\n', '\r\n\r\n', '\r\r']) {
      const event = `data: ${'x'.repeat(1000)}${end}`;
      const whole = Buffer.from(event.repeat(Math.ceil((MAX_EVENT_CHARS * 1.25) / event.length)));
      // Reads of 65,537 bytes: ends fall across every split position in turn.
      const reads: Buffer[] = [];
      for (let at = 0; at < whole.length; at += 65_537) reads.push(whole.subarray(at, at + 65_537));
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = reads.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(next);
        },
      });
      const fetcher = boundingEvents(async () => new Response(body, { status: 200 }));
      const received = Buffer.from(await (await fetcher('http://unused.invalid/')).arrayBuffer());
      expect(received.equals(whole)).toBe(true);
    }
  });
});
