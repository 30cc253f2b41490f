import { type MockLLM, type ScenarioReply, startMockLLM } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdapterOptions } from '../src/adapters/define.js';
import { describeGeminiError, GeminiApiError } from '../src/adapters/gemini/errors.js';
import { applyPartialArg, parseJsonPath } from '../src/adapters/gemini/partial-args.js';
import { createGeminiProvider } from '../src/adapters/gemini/provider.js';
import { SKIP_SIGNATURE_VALIDATION } from '../src/adapters/gemini/request.js';
import { geminiParameters } from '../src/adapters/gemini/schema.js';
import { fetchWithStartTimeout } from '../src/shared/http.js';
import { collectResponse } from '../src/shared/stream.js';
import { BASIC_CONTEXT, describeFixtureReplay, TEST_KEY } from './helpers-adapters.js';
import { CONVERSATION, PDF_BASE64 } from './helpers-adapters-context.js';

describeFixtureReplay(
  'Gemini adapter',
  'gemini',
  (server) => createGeminiProvider({ name: 'gemini', baseURL: server.url, apiKey: TEST_KEY }),
  ['crlf', 'lf'],
);

describe('Gemini adapter: requests', () => {
  let server: MockLLM | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(reply: ScenarioReply = { text: 'ok' }, options: Partial<AdapterOptions> = {}) {
    server = await startMockLLM({ api: 'gemini', scenario: [{ reply, times: 'always' }] });
    return {
      server,
      provider: createGeminiProvider({ name: 'gemini', baseURL: server.url, apiKey: TEST_KEY, ...options }),
    };
  }

  it('sends systemInstruction, user/model roles, functionDeclarations and grouped functionResponses', async () => {
    const { server, provider } = await start();
    await collectResponse(provider.stream(CONVERSATION));
    const request = server.requests[0];
    expect(request?.path).toBe('/v1beta/models/test-model:streamGenerateContent');
    expect(request?.query.alt).toBe('sse');
    expect(request?.headers['x-goog-api-key']).toBe(TEST_KEY);
    expect(request?.body?.systemInstruction).toMatchObject({
      parts: [{ text: 'You are terse.\n\nAnswer in one line.' }],
    });
    expect(request?.body?.contents).toEqual([
      { role: 'user', parts: [{ text: 'Read a.txt and b.txt' }] },
      {
        role: 'model',
        parts: [
          { text: 'Reading both.' },
          // No signature was recorded for these calls: Google's documented stand-in goes on the first.
          {
            functionCall: { name: 'file_read', args: { path: 'a.txt' } },
            thoughtSignature: SKIP_SIGNATURE_VALIDATION,
          },
          { functionCall: { name: 'file_read', args: { path: 'b.txt' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'file_read', response: { output: 'AAA' } } },
          { functionResponse: { name: 'file_read', response: { error: 'no such file' } } },
          { text: 'Summarise' },
        ],
      },
    ]);
    expect(request?.body?.generationConfig).toMatchObject({ maxOutputTokens: 1000 });
    expect(request?.body?.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'file_read',
            description: 'Read a file',
            // Upper-case types (Gemini's Type enum), as @google/genai wrote them.
            parameters: {
              type: 'OBJECT',
              properties: {
                path: { type: 'STRING', description: 'relative path' },
                range: {
                  type: 'OBJECT',
                  properties: { start: { type: 'INTEGER' }, end: { type: 'INTEGER', nullable: true } },
                },
                mode: { type: 'STRING', enum: ['text'] },
              },
              required: ['path'],
            },
          },
        ],
      },
    ]);
  });

  it('round-trips thought signatures and Gemini call ids', async () => {
    const { server, provider } = await start({
      toolCalls: [{ id: 'gem-1', name: 'file_read', arguments: { path: 'a.txt' } }],
      reasoningSignature: 'sig-call',
    });
    const answer = await collectResponse(provider.stream(BASIC_CONTEXT));
    const call = answer.toolCalls[0];
    expect(call?.id).toBe('gem-1');
    expect(call?.metadata).toEqual({ thoughtSignature: 'sig-call', geminiCallId: 'gem-1' });
    await collectResponse(
      provider.stream({
        ...BASIC_CONTEXT,
        messages: [
          ...BASIC_CONTEXT.messages,
          answer.message,
          { role: 'tool', toolCallId: 'gem-1', toolName: 'file_read', content: 'AAA' },
        ],
      }),
    );
    const contents = server.requests[1]?.body?.contents as { role: string; parts: unknown[] }[];
    expect(contents[1]).toEqual({
      role: 'model',
      parts: [
        {
          functionCall: { name: 'file_read', args: { path: 'a.txt' }, id: 'gem-1' },
          thoughtSignature: 'sig-call',
        },
      ],
    });
    expect(contents[2]).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'file_read', response: { output: 'AAA' }, id: 'gem-1' } }],
    });
  });

  it('keeps the signature of a text answer and sends it back after the text', async () => {
    const { server, provider } = await start({ text: 'four', reasoningSignature: 'sig-text' });
    const answer = await collectResponse(provider.stream(BASIC_CONTEXT));
    expect(answer.message.reasoning).toEqual([{ text: '', signature: 'sig-text' }]);
    await collectResponse(
      provider.stream({
        ...BASIC_CONTEXT,
        messages: [...BASIC_CONTEXT.messages, answer.message, { role: 'user', content: 'and?' }],
      }),
    );
    const contents = server.requests[1]?.body?.contents as { parts: unknown[] }[];
    expect(contents[1]?.parts).toEqual([{ text: 'four' }, { text: '', thoughtSignature: 'sig-text' }]);
  });

  it('sends every attachment inline, asks for thoughts, and sends extra headers', async () => {
    const { server, provider } = await start(undefined, { extraHeaders: { 'x-goog-user-project': 'p1' } });
    await collectResponse(
      provider.stream({
        model: 'test-model',
        reasoning: { budgetTokens: 512 },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'see' },
              { type: 'attachment', mimeType: 'application/pdf', data: PDF_BASE64 },
            ],
          },
        ],
      }),
    );
    const request = server.requests[0];
    expect(request?.headers['x-goog-user-project']).toBe('p1');
    expect(request?.body?.contents).toEqual([
      {
        role: 'user',
        parts: [{ text: 'see' }, { inlineData: { mimeType: 'application/pdf', data: PDF_BASE64 } }],
      },
    ]);
    expect(request?.body?.generationConfig).toMatchObject({
      thinkingConfig: { includeThoughts: true, thinkingBudget: 512 },
    });
  });

  it('accepts a base URL that names the API version', async () => {
    const { server } = await start();
    const provider = createGeminiProvider({
      name: 'gemini',
      baseURL: `${server.url}/v1beta`,
      apiKey: TEST_KEY,
    });
    await collectResponse(provider.stream(BASIC_CONTEXT));
    expect(server.requests[0]?.path).toBe('/v1beta/models/test-model:streamGenerateContent');
  });
});

describe('Gemini helpers', () => {
  it('applies streamed partialArgs by JSON path', () => {
    const args: Record<string, unknown> = {};
    applyPartialArg(args, { jsonPath: '$.location', stringValue: 'San ' });
    applyPartialArg(args, { jsonPath: '$.location', stringValue: 'Francisco' });
    applyPartialArg(args, { jsonPath: '$.when.days[1]', numberValue: 3 });
    applyPartialArg(args, { jsonPath: "$['odd key']", boolValue: true });
    applyPartialArg(args, { jsonPath: '$.gone', nullValue: 'NULL_VALUE' });
    applyPartialArg(args, { jsonPath: '$.__proto__.polluted', stringValue: 'x' });
    expect(args).toEqual({
      location: 'San Francisco',
      when: { days: [undefined, 3] },
      'odd key': true,
      gone: null,
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseJsonPath('$.a["b.c"][2]')).toEqual(['a', 'b.c', 2]);
    expect(parseJsonPath('a.b')).toBeUndefined();
  });

  it('adapts JSON Schema to Gemini: refs inlined, anyOf-null to nullable, unknown keywords dropped', () => {
    const schema = {
      $schema: 'x',
      type: 'object',
      additionalProperties: false,
      $defs: { Tag: { type: 'string', enum: ['a', 'b'] } },
      properties: {
        tag: { $ref: '#/$defs/Tag' },
        note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        count: { type: 'integer', exclusiveMinimum: 0 },
        choice: { oneOf: [{ type: 'string' }, { type: 'number' }] },
      },
      required: ['tag', 'missing'],
    };
    expect(geminiParameters(schema)).toEqual({
      type: 'object',
      properties: {
        tag: { type: 'string', enum: ['a', 'b'] },
        note: { type: 'string', nullable: true },
        count: { type: 'integer' },
        choice: { anyOf: [{ type: 'string' }, { type: 'number' }] },
      },
      required: ['tag'],
    });
    expect(geminiParameters({ type: 'object', properties: {} })).toBeUndefined();
  });

  it('reads status, code and RetryInfo from Gemini errors', () => {
    const body = {
      error: {
        code: 429,
        message: 'Resource has been exhausted',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' }],
      },
    };
    const headers = new Headers({ 'retry-after': '3' });
    const facts = describeGeminiError(new GeminiApiError(429, headers, body, JSON.stringify(body)));
    expect(facts).toEqual({
      message: 'Resource has been exhausted',
      status: 429,
      code: 'RESOURCE_EXHAUSTED',
      headers,
      retryAfterMs: 12_000,
    });
    expect(describeGeminiError(new GeminiApiError(502, undefined, undefined, 'Bad Gateway'))).toEqual({
      message: 'Bad Gateway',
      status: 502,
    });
    expect(describeGeminiError(new Error('other'))).toBeUndefined();
  });
});

describe('Gemini fetch with a start timeout', () => {
  /** A fetch that only ends when its signal aborts, like a server that never answers. */
  const neverAnswers: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
    });

  it('gives up when the response does not start within the timeout', async () => {
    const error = await fetchWithStartTimeout(neverAnswers, 1, 'http://127.0.0.1:9/', {}).catch(
      (caught: unknown) => caught,
    );
    expect((error as Error).name).toBe('TimeoutError');
  });

  it('still honours the caller signal, and does not bound the body once the response started', async () => {
    const controller = new AbortController();
    const pending = fetchWithStartTimeout(neverAnswers, undefined, 'http://127.0.0.1:9/', {
      signal: controller.signal,
    });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    let seen: AbortSignal | undefined;
    const response = await fetchWithStartTimeout(
      async (_input, init) => {
        seen = init?.signal ?? undefined;
        return new Response('{}', { headers: { 'retry-after': '3' } });
      },
      5,
      'http://127.0.0.1:9/',
      {},
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen?.aborted).toBe(false);
    expect(await response.text()).toBe('{}');
  });

  it('times a whole call out with timeoutMs as a transport error', async () => {
    const provider = createGeminiProvider({
      name: 'gemini',
      baseURL: 'http://127.0.0.1:9',
      apiKey: TEST_KEY,
      timeoutMs: 5,
      fetch: neverAnswers,
    });
    const error = await collectResponse(provider.stream(BASIC_CONTEXT)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: 'transport' });
    expect((error as Error).message).toContain('timed out');
  });
});
