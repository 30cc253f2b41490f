/**
 * A refused request's answer is another server's text, of any size: every adapter (and doctor's
 * endpoint probe) reads only its first REFUSAL_BODY_BYTES to word the error, then lets the
 * connection go. Before, each read the body whole: an error page that never ends held the run
 * (and its memory) for as long as the server kept sending. Real HTTP servers on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Context, type Provider, ProviderError, providerEntrySchema } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../src/adapters/anthropic/provider.js';
import type { AdapterOptions } from '../src/adapters/define.js';
import { createGeminiProvider } from '../src/adapters/gemini/provider.js';
import { createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { createOpenAIResponsesProvider } from '../src/adapters/openai-responses/provider.js';
import { probeEndpoint } from '../src/factory/probe.js';
import { REFUSAL_BODY_BYTES } from '../src/shared/http.js';
import { collectResponse } from '../src/shared/stream.js';
import { BASIC_CONTEXT, TEST_KEY } from './helpers-adapters.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

interface Endless {
  base: string;
  /** Resolves with the bytes sent once the client has closed the connection. */
  closed: Promise<number>;
}

/** A server answering `status` with a body that never ends: `head`, then 16 KiB of words every 5 ms. */
async function endlessRefusal(status: number, head: string): Promise<Endless> {
  let closedWith: (sent: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    closedWith = resolve;
  });
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    let sent = 0;
    const write = (text: string) => {
      sent += Buffer.byteLength(text);
      res.write(text);
    };
    write(head);
    const timer = setInterval(() => write('more words of an error page that never ends '.repeat(372)), 5);
    res.on('close', () => {
      clearInterval(timer);
      closedWith(sent);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed };
}

const context: Context = { ...BASIC_CONTEXT, model: 'test-model' };

const ADAPTERS: [string, (options: AdapterOptions) => Provider, string][] = [
  ['openai chat', createOpenAIChatProvider, '/v1'],
  ['openai responses', createOpenAIResponsesProvider, '/v1'],
  ['gemini', createGeminiProvider, '/v1beta'],
  ['anthropic (its SDK, given our fetch)', createAnthropicProvider, ''],
];

describe('a refusal whose body never ends', () => {
  for (const [name, create, path] of ADAPTERS) {
    it(`${name}: fails as the refusal it is, from the body's first bytes, and lets the connection go`, async () => {
      const server = await endlessRefusal(400, '{"error": {"message": "model gone; ');
      const provider = create({ name: 'endless', baseURL: `${server.base}${path}`, apiKey: TEST_KEY });
      const error = await collectResponse(provider.stream(context)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ kind: 'bad_request' });
      expect((error as Error).message).toContain('model gone');
      // The server saw the client leave; what it sent is the bound plus what socket buffers took.
      const sent = await server.closed;
      expect(sent).toBeGreaterThan(REFUSAL_BODY_BYTES);
      expect(sent).toBeLessThan(64 * REFUSAL_BODY_BYTES);
    });
  }

  it("doctor's probe: a Gemini listing refused with 400 and an endless body is a failed listing, promptly", async () => {
    const server = await endlessRefusal(400, '{"error": {"code": 400, "details": [');
    const entry = providerEntrySchema().parse({
      provider_type: 'gemini',
      base_url: server.base,
      api_key: TEST_KEY,
    });
    const result = await probeEndpoint(entry, { env: {} });
    expect(result).toMatchObject({ ok: false, problem: expect.stringContaining('answered HTTP 400') });
    expect(await server.closed).toBeLessThan(64 * REFUSAL_BODY_BYTES);
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
