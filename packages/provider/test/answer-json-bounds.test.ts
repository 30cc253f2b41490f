/**
 * A successful (2xx) answer read as one JSON body is bounded too (readJsonBounded): a completion
 * that ignored `stream: true`, an embeddings answer, doctor's model listing. Before, each was read
 * whole with `response.json()`: a server (or whoever sits on a plain-http local server's path)
 * sending an endless 200 made the process buffer it until it died. Real HTTP servers on loopback;
 * each stops on its own far past the bound, so the old code fails these tests rather than the
 * machine.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Context, ProviderError, providerEntrySchema } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIChatProvider, MAX_COMPLETION_BYTES } from '../src/adapters/openai-chat/provider.js';
import { createGeminiEmbedder, createOpenAIEmbedder } from '../src/embeddings/index.js';
import { embeddingAnswerBytes } from '../src/embeddings/options.js';
import { MAX_LISTING_BYTES, probeEndpoint } from '../src/factory/probe.js';
import { readJsonBounded } from '../src/shared/bounded.js';
import { collectResponse } from '../src/shared/stream.js';
import { BASIC_CONTEXT, TEST_KEY } from './helpers-adapters.js';
import { closeEndlessServers, endlessAnswer, SOCKET_SLACK_BYTES, servers } from './helpers-endless.js';

afterEach(closeEndlessServers);

const context: Context = { ...BASIC_CONTEXT, model: 'test-model' };

/** Where the servers stop sending on their own: past the bound and any socket's slack. */
function stopAfter(bound: number): number {
  return bound + 2 * SOCKET_SLACK_BYTES;
}

/** The server saw the client leave once the bound was passed, not at its own end. */
async function letGo(closed: Promise<number>, bound: number): Promise<void> {
  const sent = await closed;
  expect(sent).toBeGreaterThan(bound);
  expect(sent).toBeLessThan(bound + SOCKET_SLACK_BYTES);
}

/** The error `promise` failed with, which must be a ProviderError. */
async function refusal(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

/** Each embedder, the start of its answer, and the texts it sends (so the bound it allows). */
const EMBEDDERS = [
  {
    name: 'openai embeddings',
    head: '{"data": [{"index": 0, "embedding": [',
    create: (base: string) => createOpenAIEmbedder({ baseURL: `${base}/v1`, apiKey: TEST_KEY }),
    texts: ['one text'],
    shown: '225 KiB',
  },
  {
    name: 'gemini embeddings',
    head: '{"embeddings": [{"values": [',
    create: (base: string) => createGeminiEmbedder({ baseURL: base, apiKey: TEST_KEY }),
    texts: ['one', 'two'],
    shown: '386 KiB',
  },
];

describe('a 2xx JSON answer that does not end', () => {
  it('openai chat: a completion answered as one JSON body is refused past the bound, not retried', async () => {
    const head = '{"choices": [{"message": {"role": "assistant", "content": "';
    const server = await endlessAnswer(200, head, 'application/json', 8000, stopAfter(MAX_COMPLETION_BYTES));
    const provider = createOpenAIChatProvider({
      name: 'endless',
      baseURL: `${server.base}/v1`,
      apiKey: TEST_KEY,
    });
    const error = await refusal(collectResponse(provider.stream(context)));
    expect(error.kind).toBe('bad_request');
    expect(error.message).toBe(
      `endless (test-model): ${server.base} sent a chat completion over 32 MiB, more than any model API ` +
        'sends: the answer was dropped (is base_url the API, not another kind of server?)',
    );
    await letGo(server.closed, MAX_COMPLETION_BYTES);
  });

  for (const { name, head, create, texts, shown } of EMBEDDERS) {
    it(`${name}: an answer past what the batch can need is refused, naming neither key nor body`, async () => {
      const bound = embeddingAnswerBytes(texts.length, undefined);
      const server = await endlessAnswer(200, head, undefined, 2000, stopAfter(bound));
      const error = await refusal(create(server.base).embed(texts));
      expect(error.kind).toBe('bad_request');
      expect(error.message).toContain(`${server.base} sent an embeddings answer over ${shown},`);
      expect(error.message).not.toContain(TEST_KEY);
      expect(error.message).not.toContain('words of an answer');
      await letGo(server.closed, bound);
    });
  }

  it("doctor's probe: an endless model listing is a failed check that says why", async () => {
    const server = await endlessAnswer(
      200,
      '{"data": [{"id": "',
      undefined,
      2000,
      stopAfter(MAX_LISTING_BYTES),
    );
    const entry = providerEntrySchema().parse({
      provider_type: 'openai',
      base_url: `${server.base}/v1`,
      api_key: TEST_KEY,
    });
    const result = await probeEndpoint(entry, { env: {} });
    expect(result).toMatchObject({
      ok: false,
      problem: `${server.base} sent a model listing over 8 MiB, more than any model API sends: the answer was dropped (is base_url the API, not another kind of server?)`,
    });
    await letGo(server.closed, MAX_LISTING_BYTES);
  });
});

describe('readJsonBounded', () => {
  /** `parts` served as one body, a read each. */
  function bodyOf(parts: readonly (string | Uint8Array)[]): Response {
    const reads = parts.map((part) => (typeof part === 'string' ? new TextEncoder().encode(part) : part));
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = reads.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(next);
        },
      }),
    );
  }

  it('gives what response.json() gives, value for value and error for error', async () => {
    const euro = new TextEncoder().encode('{"a": "€ é"}');
    const cases: (string | Uint8Array)[][] = [
      ['{"a": 1, "b": [true, null, "x"]}'],
      ['\uFEFF{"bom": "dropped"}'],
      // A character split between two reads, and bytes that are not UTF-8.
      [euro.subarray(0, 8), euro.subarray(8)],
      [new Uint8Array([0x22, 0xff, 0xfe, 0x22])],
      [''],
      ['{"cut": '],
      ['nul', 'l'],
    ];
    for (const parts of cases) {
      const expected = await bodyOf(parts)
        .json()
        .then(
          (value: unknown) => ({ value }),
          (error: Error) => ({ error: `${error.name}: ${error.message}` }),
        );
      const got = await readJsonBounded(bodyOf(parts), 1024, 'a test answer').then(
        (value: unknown) => ({ value }),
        (error: Error) => ({ error: `${error.name}: ${error.message}` }),
      );
      expect(got).toEqual(expected);
    }
  });

  it('reads a body of exactly the bound; one byte more is refused, naming no server it does not know', async () => {
    const text = `"${'x'.repeat(1022)}"`;
    expect(await readJsonBounded(bodyOf([text.slice(0, 500), text.slice(500)]), 1024, 'a test answer')).toBe(
      'x'.repeat(1022),
    );
    await expect(readJsonBounded(bodyOf([text, ' ']), 1024, 'a test answer')).rejects.toMatchObject({
      name: 'InStreamError',
      code: 'answer_too_large',
      message: expect.stringMatching(/^the server sent a test answer over 1 KiB, /),
    });
  });

  it('leaves room for the largest vectors a batch may bring: 4096 numbers each, one a line, as Google indents', async () => {
    const numbers = Array.from({ length: 4096 }, (_, i) => -1.2345678e-7 * (i + 1));
    const item = `    {\n      "values": [\n${numbers.map((n) => `        ${n.toPrecision(17)}`).join(',\n')}\n      ]\n    }`;
    const answer = `{\n  "embeddings": [\n${[item, item].join(',\n')}\n  ]\n}\n`;
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const embedder = createGeminiEmbedder({ baseURL: base, apiKey: TEST_KEY, model: 'big-embedder' });
    const vectors = await embedder.embed(['one', 'two']);
    expect(vectors.map((vector) => vector.length)).toEqual([4096, 4096]);
    expect(vectors[1]?.[4095]).toBe(Math.fround(numbers[4095] as number));
  });
});
