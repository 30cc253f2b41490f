/**
 * Shared steps of the adapter tests: serve a fixture, run a provider over it, and compare the
 * assembled response with expected.json.
 */
import { type MockApi, type MockLLM, startMockLLM } from '@oxydra/testkit';
import { type Context, type ModelEvent, type Provider, ProviderError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../src/adapters/anthropic/provider.js';
import type { AdapterOptions } from '../src/adapters/define.js';
import { createGeminiProvider } from '../src/adapters/gemini/provider.js';
import { createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { createOpenAIResponsesProvider } from '../src/adapters/openai-responses/provider.js';
import { collectResponse } from '../src/shared/stream.js';
import {
  type Expected,
  expectedResults,
  expectedUsage,
  type FixtureApi,
  fixtureFiles,
  fixturePath,
  observed,
  usageFields,
} from './helpers-adapters-fixtures.js';

export const TEST_KEY = 'sk-test-0123456789abcdef';

export const BASIC_CONTEXT: Context = {
  model: 'test-model',
  messages: [{ role: 'user', content: 'hello' }],
};

export const MOCK_API: Record<FixtureApi, MockApi> = {
  'openai-chat': 'openai-chat',
  'openai-responses': 'openai-responses',
  'anthropic-messages': 'anthropic',
  gemini: 'gemini',
};

export type LineEnding = 'lf' | 'crlf';

/** The testkit mock replaying one recorded file to every call. */
export function serveFixture(api: FixtureApi, file: string, lineEnding?: LineEnding): Promise<MockLLM> {
  return startMockLLM({
    api: MOCK_API[api],
    fixture: fixturePath(api, file),
    ...(lineEnding !== undefined ? { lineEnding } : {}),
  });
}

export async function collectEvents(events: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const out: ModelEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

/** Run the provider over a served fixture and check everything expected.json says. */
export async function checkFixture(
  api: FixtureApi,
  file: string,
  makeProvider: (server: MockLLM) => Provider,
  lineEnding?: LineEnding,
): Promise<void> {
  const expected: Expected | undefined = expectedResults(api)[file];
  expect(expected, `expected.json has no entry for ${file}`).toBeDefined();
  if (expected === undefined) return;
  const server = await serveFixture(api, file, lineEnding);
  try {
    const provider = makeProvider(server);
    const run = collectResponse(provider.stream(BASIC_CONTEXT));
    if (expected.error !== undefined) {
      const error = await run.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).message).toContain(expected.error.message);
      return;
    }
    const response = await run;
    const seen = observed(response);
    expect(seen.text).toBe(expected.text);
    expect(seen.reasoning).toBe(expected.reasoning);
    expect(seen.finishReason).toBe(expected.finishReason);
    expect(seen.toolCalls.map((call) => ({ name: call.name, arguments: call.arguments }))).toEqual(
      expected.toolCalls.map((call) => ({ name: call.name, arguments: call.arguments })),
    );
    expected.toolCalls.forEach((call, index) => {
      const id = seen.toolCalls[index]?.id;
      // Gemini sends no ids (null): ours are synthesised, stable and distinct.
      if (call.id === null) expect(id).toBe(`call_${index}_${call.name}`);
      else expect(id).toBe(call.id);
    });
    if (expected.usage === null) {
      expect(response.usage.inputTokens).toBeUndefined();
      expect(response.usage.outputTokens).toBeUndefined();
    } else {
      expect(usageFields(response.usage, expected.usage)).toEqual(expectedUsage(api, expected.usage));
      expect(response.usage.raw).toEqual(expected.usage.raw);
    }
    if (expected.stopDetails !== undefined) expect(response.finishDetails).toEqual(expected.stopDetails);
    if (expected.blockReason !== undefined) {
      expect(response.finishDetails?.blockReason).toBe(expected.blockReason);
      expect(response.finishReason).toBe('content_filter');
    }
  } finally {
    await server.close();
  }
}

export interface AdapterCase {
  api: MockApi;
  /** The registry name the provider gets; error messages must name it. */
  name: string;
  make(options: AdapterOptions): Provider;
}

/** Every adapter with the mock API that speaks its wire protocol. */
export const ADAPTER_CASES: readonly AdapterCase[] = [
  { api: 'openai-chat', name: 'local-openai', make: createOpenAIChatProvider },
  { api: 'openai-responses', name: 'openai', make: createOpenAIResponsesProvider },
  { api: 'anthropic', name: 'anthropic', make: createAnthropicProvider },
  { api: 'gemini', name: 'gemini', make: createGeminiProvider },
];

/** Each adapter as a test title names it, with the path its base URL ends in (for servers of a test's own). */
export const ADAPTERS_AT_PATHS: readonly [string, (options: AdapterOptions) => Provider, string][] = [
  ['openai chat', createOpenAIChatProvider, '/v1'],
  ['openai responses', createOpenAIResponsesProvider, '/v1'],
  ['gemini', createGeminiProvider, '/v1beta'],
  ['anthropic (its SDK, given our fetch)', createAnthropicProvider, ''],
];

export function providerFor(
  adapter: AdapterCase,
  server: MockLLM,
  extra: Partial<AdapterOptions> = {},
): Provider {
  return adapter.make({ name: adapter.name, baseURL: server.url, apiKey: TEST_KEY, ...extra });
}

/** The error a stream ends with (fails the test if it ends normally). */
export async function streamError(events: AsyncIterable<ModelEvent>): Promise<unknown> {
  try {
    for await (const _event of events) {
      // drain
    }
  } catch (error) {
    return error;
  }
  throw new Error('expected the stream to fail, but it ended normally');
}

/** A list-valued field of a recorded request body (empty when absent). */
export function bodyList(server: MockLLM, request: number, key: string): Record<string, unknown>[] {
  const value = server.requests[request]?.body?.[key];
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
}

/**
 * The recorded-streams suite of one adapter: every fixture file has an expected result, and
 * each replays to it (Gemini once per SSE line ending).
 */
export function describeFixtureReplay(
  title: string,
  api: FixtureApi,
  makeProvider: (server: MockLLM) => Provider,
  lineEndings: readonly (LineEnding | undefined)[] = [undefined],
): void {
  describe(`${title}: recorded streams`, () => {
    const files = fixtureFiles(api);

    it('has an expected result for every fixture file', () => {
      expect(files.length).toBeGreaterThan(0);
      expect(Object.keys(expectedResults(api)).sort()).toEqual(files);
    });

    for (const lineEnding of lineEndings) {
      const framing = lineEnding ? ` (${lineEnding.toUpperCase()} framing)` : '';
      for (const file of files) {
        it(`replays ${file}${framing}`, async () => {
          await checkFixture(api, file, makeProvider, lineEnding);
        });
      }
    }
  });
}
