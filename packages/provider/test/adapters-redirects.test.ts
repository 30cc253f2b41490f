/**
 * The adapters (OpenAI Chat and Responses and Gemini on our fetch transport, Anthropic's SDK given
 * our fetch) never follow a redirect: fetch would send the request again, key headers included, to the address the
 * answer names. A base URL that redirects fails at once with a message naming the fix, and the
 * other server never sees the request. Real HTTP servers on loopback, two origins.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Context, ProviderError, providerEntrySchema } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { probeEndpoint } from '../src/factory/probe.js';
import { collectResponse } from '../src/shared/stream.js';
import { ADAPTERS_AT_PATHS, BASIC_CONTEXT, TEST_KEY } from './helpers-adapters.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The server a redirect points at: records whatever reaches it. */
async function elsewhere(): Promise<{ origin: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const origin = await listen((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  return { origin, seen };
}

/** The configured server: answers every request with a 307 to `target` (keeps the method and body). */
const redirecting = (target: string) =>
  listen((req, res) => {
    req.resume();
    res.writeHead(307, { location: `${target}${req.url}` });
    res.end();
  });

const context: Context = { ...BASIC_CONTEXT, model: 'test-model' };

describe('a base URL that redirects', () => {
  for (const [name, create, path] of ADAPTERS_AT_PATHS) {
    it(`${name}: refused at once, naming the fix; the other server never sees the key`, async () => {
      const other = await elsewhere();
      const base = await redirecting(other.origin);
      const provider = create({
        name: 'redirecting',
        baseURL: `${base}${path}`,
        apiKey: TEST_KEY,
        extraHeaders: { 'x-team-secret': 'team-secret-value' },
      });
      const error = await collectResponse(provider.stream(context)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ kind: 'bad_request' });
      expect((error as Error).message).toContain(`${base} answered with a redirect`);
      expect((error as Error).message).toContain('set base_url to the address it redirects to');
      expect((error as Error).message).not.toContain(TEST_KEY);
      expect(other.seen).toEqual([]);
    });
  }
});

describe("doctor's endpoint probe", () => {
  it('does not follow a redirect either: the key headers stay home, and the problem is said', async () => {
    const other = await elsewhere();
    const base = await redirecting(other.origin);
    const entry = providerEntrySchema().parse({ provider_type: 'gemini', base_url: base, api_key: TEST_KEY });
    const result = await probeEndpoint(entry, { env: {} });
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ problem: expect.stringContaining(`${base} answered with a redirect`) });
    expect(other.seen).toEqual([]);
  });
});
