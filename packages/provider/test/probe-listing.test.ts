/**
 * What doctor's probe asks each wire API for its model list: the path, the key's header and the
 * API's own headers (WIRE_FACTS' listModels), with the key and, for the key check, without it.
 * Pinned per wire so that moving these facts (or adding a wire) cannot change what is sent.
 */
import { type ProviderType, providerEntrySchema } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { probeEndpoint } from '../src/factory/probe.js';

const KEY = 'sk-probe-test';

/** A fetch that records each request and answers `status` with `body`. */
function recording(status: number, body: unknown) {
  const seen: { url: string; headers: Record<string, string> }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    seen.push({ url, headers: { ...(init.headers as Record<string, string>) } });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof globalThis.fetch;
  return { seen, fetch };
}

const EXPECTED: Record<
  Exclude<ProviderType, 'llama_cpp'>,
  { path: string; key: [string, string]; fixed?: object }
> = {
  openai: { path: '/models', key: ['authorization', `Bearer ${KEY}`] },
  openai_responses: { path: '/models', key: ['authorization', `Bearer ${KEY}`] },
  anthropic: { path: '/v1/models', key: ['x-api-key', KEY], fixed: { 'anthropic-version': '2023-06-01' } },
  gemini: { path: '/v1beta/models', key: ['x-goog-api-key', KEY] },
};

describe("doctor's probe asks each wire API's listing", () => {
  for (const [type, { path, key, fixed }] of Object.entries(EXPECTED)) {
    it(`${type}: ${path} with the key in ${key[0]}, then without it`, async () => {
      const { seen, fetch } = recording(200, { data: [{ id: 'm1' }], models: [{ name: 'models/m1' }] });
      const entry = providerEntrySchema().parse({
        provider_type: type,
        base_url: 'http://127.0.0.1:9/base/',
        api_key: KEY,
        extra_headers: { 'x-team': 'blue' },
      });
      const result = await probeEndpoint(entry, { env: {}, fetch });
      expect(result).toEqual({
        ok: true,
        url: `http://127.0.0.1:9/base${path}`,
        models: 1,
        ids: ['m1'],
        key: 'unchecked',
      });
      expect(seen).toEqual([
        { url: `http://127.0.0.1:9/base${path}`, headers: { 'x-team': 'blue', [key[0]]: key[1], ...fixed } },
        { url: `http://127.0.0.1:9/base${path}`, headers: { 'x-team': 'blue', ...fixed } },
      ]);
    });
  }

  it("gemini: a 400 naming API_KEY_INVALID is the key refused; another wire's 400 is not read", async () => {
    const refusal = { error: { code: 400, details: [{ reason: 'API_KEY_INVALID' }] } };
    const probe = async (type: ProviderType) => {
      const entry = providerEntrySchema().parse({
        provider_type: type,
        base_url: 'http://127.0.0.1:9',
        api_key: KEY,
      });
      return probeEndpoint(entry, { env: {}, fetch: recording(400, refusal).fetch });
    };
    expect(await probe('gemini')).toMatchObject({
      ok: false,
      hint: expect.stringContaining('refused the key'),
    });
    expect(await probe('anthropic')).not.toHaveProperty('hint');
  });
});
