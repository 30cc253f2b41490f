/**
 * The Gemini adapter's requests, against what @google/genai sent (fixtures/gemini-requests.json),
 * its URL composition and headers, and the schema it sends for tools.
 */
import { readFileSync } from 'node:fs';
import type { Context } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import type { AdapterOptions } from '../src/adapters/define.js';
import { createGeminiProvider } from '../src/adapters/gemini/provider.js';
import { geminiWireSchema } from '../src/adapters/gemini/schema.js';
import { geminiApiRoot, geminiStreamUrl } from '../src/adapters/gemini/wire.js';
import { createGeminiEmbedder } from '../src/embeddings/index.js';
import { USER_AGENT } from '../src/shared/http.js';
import { BASIC_CONTEXT, collectEvents } from './helpers-adapters.js';
import { FINAL, failure, provider, recordingFetch, sse } from './helpers-gemini-wire.js';

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
