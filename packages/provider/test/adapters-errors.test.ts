/**
 * Failure handling of all four adapters against the testkit's real error envelopes and stream
 * faults: classification, retry-after, partial output, cancellation.
 */
import { type MockLLM, type ScenarioStep, startMockLLM } from '@oxydra/testkit';
import { pollUntil } from '@oxydra/testkit/helpers';
import { Cancelled, type ModelEvent, ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAPTER_CASES, BASIC_CONTEXT, providerFor, streamError, TEST_KEY } from './helpers-adapters.js';

const LONG_TEXT = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');

let server: MockLLM | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(api: (typeof ADAPTER_CASES)[number]['api'], steps: ScenarioStep[]): Promise<MockLLM> {
  server = await startMockLLM({ api, scenario: steps });
  return server;
}

function asProviderError(error: unknown): ProviderError {
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

for (const adapter of ADAPTER_CASES) {
  describe(`${adapter.api} adapter errors`, () => {
    it('401 is an auth error that names the provider and never the key', async () => {
      const mock = await start(adapter.api, [{ fault: { status: 401 } }]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('auth');
      expect(error.status).toBe(401);
      expect(error.provider).toBe(adapter.name);
      expect(error.message).toContain(adapter.name);
      expect(error.message).not.toContain(TEST_KEY);
      expect(error.hint).toContain(adapter.name);
      expect(error.retriable).toBe(false);
    });

    it('429 is rate_limited with the retry-after header in milliseconds', async () => {
      const mock = await start(adapter.api, [{ fault: { status: 429, retryAfter: 7 } }]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('rate_limited');
      expect(error.retryAfterMs).toBe(7000);
      expect(error.retriable).toBe(true);
    });

    it('429 takes retry-after-ms when that is what the server sends', async () => {
      const mock = await start(adapter.api, [{ fault: { status: 429, retryAfterMs: 1500 } }]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.retryAfterMs).toBe(1500);
    });

    const overloadStatus = adapter.api === 'anthropic' ? 529 : 503;
    it(`${overloadStatus} is overloaded and retriable`, async () => {
      const mock = await start(adapter.api, [{ fault: { status: overloadStatus } }]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('overloaded');
      expect(error.retriable).toBe(true);
    });

    it('500 is retriable', async () => {
      const mock = await start(adapter.api, [{ fault: { status: 500 } }]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('overloaded');
      expect(error.retriable).toBe(true);
    });

    it("recognises the provider's context-overflow error", async () => {
      const mock = await start(adapter.api, [{ fault: { status: 400, contextOverflow: true } }]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('context_overflow');
      expect(error.retriable).toBe(false);
    });

    it('other 4xx are bad requests with the server message', async () => {
      const mock = await start(adapter.api, [
        { fault: { status: 404, message: 'no such model: test-model' } },
      ]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('bad_request');
      expect(error.message).toContain('no such model: test-model');
      expect(error.model).toBe('test-model');
    });

    it('an in-stream rate-limit error is classified like its status', async () => {
      const mock = await start(adapter.api, [
        { reply: { text: 'hello' }, fault: { streamError: { status: 429, afterEvents: 1 } } },
      ]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('rate_limited');
    });

    it('an in-stream context-overflow error is context_overflow', async () => {
      const mock = await start(adapter.api, [
        {
          reply: { text: 'hello' },
          fault: { streamError: { status: 400, contextOverflow: true, afterEvents: 1 } },
        },
      ]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('context_overflow');
    });

    it('a stream cut after text streamed is a transport error with partial output', async () => {
      const mock = await start(adapter.api, [{ reply: { text: LONG_TEXT }, fault: { cutAfterEvents: 8 } }]);
      const seen: ModelEvent[] = [];
      const provider = providerFor(adapter, mock);
      const error = asProviderError(
        await streamError(
          (async function* () {
            for await (const event of provider.stream(BASIC_CONTEXT)) {
              seen.push(event);
              yield event;
            }
          })(),
        ),
      );
      expect(seen.some((event) => event.type === 'text_delta')).toBe(true);
      expect(seen.some((event) => event.type === 'finish')).toBe(false);
      expect(error.kind).toBe('transport');
      expect(error.partialOutput).toBe(true);
      expect(error.retriable).toBe(false);
    });

    it('a stream cut before any output is a retriable transport error', async () => {
      const mock = await start(adapter.api, [{ reply: { text: LONG_TEXT }, fault: { cutAfterEvents: 0 } }]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('transport');
      expect(error.partialOutput).toBe(false);
      expect(error.retriable).toBe(true);
    });

    it('malformed JSON in the stream is a transport error', async () => {
      const mock = await start(adapter.api, [
        { reply: { text: LONG_TEXT }, fault: { malformedChunk: true } },
      ]);
      const error = asProviderError(await streamError(providerFor(adapter, mock).stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('transport');
    });

    it('a connection refused is a retriable transport error', async () => {
      const mock = await start(adapter.api, []);
      const url = mock.url;
      await mock.close();
      const provider = adapter.make({ name: adapter.name, baseURL: url, apiKey: TEST_KEY });
      const error = asProviderError(await streamError(provider.stream(BASIC_CONTEXT)));
      expect(error.kind).toBe('transport');
      expect(error.retriable).toBe(true);
    });

    it('an aborted signal stops a stalled stream with Cancelled', async () => {
      // Events arrive a minute apart: only a prompt abort lets this test finish in time.
      const mock = await start(adapter.api, [
        { reply: { text: LONG_TEXT }, fault: { slowChunksMs: 60_000 } },
      ]);
      const controller = new AbortController();
      const result = streamError(
        providerFor(adapter, mock).stream(BASIC_CONTEXT, { signal: controller.signal }),
      );
      await pollUntil(
        () => mock.requests.length === 1,
        () => `1 request (saw ${mock.requests.length})`,
        {
          timeoutMs: 1000,
          intervalMs: 50,
        },
      );
      controller.abort();
      expect(await result).toBeInstanceOf(Cancelled);
    });

    it('an already aborted signal sends nothing', async () => {
      const mock = await start(adapter.api, [{ reply: { text: 'hello' } }]);
      const controller = new AbortController();
      controller.abort();
      const error = await streamError(
        providerFor(adapter, mock).stream(BASIC_CONTEXT, { signal: controller.signal }),
      );
      expect(error).toBeInstanceOf(Cancelled);
      expect(mock.requests).toHaveLength(0);
    });
  });
}

describe("Gemini's answer to a wrong key", () => {
  it('400 INVALID_ARGUMENT with the reason API_KEY_INVALID is an auth error naming the key, not a bad request', async () => {
    const gemini = ADAPTER_CASES.find((adapter) => adapter.api === 'gemini')!;
    const mock = await start('gemini', [{ fault: { status: 400, badKey: true } }]);
    const error = asProviderError(await streamError(providerFor(gemini, mock).stream(BASIC_CONTEXT)));
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(400);
    expect(error.message).toBe(
      'gemini (test-model): authentication failed (HTTP 400): API key not valid. Please pass a valid API key.',
    );
    expect(error.hint).toBe('check the API key configured for provider "gemini"');
    expect(error.retriable).toBe(false);

    // Any other 400 stays a bad request.
    const other = await start('gemini', [{ fault: { status: 400 } }]);
    const bad = asProviderError(await streamError(providerFor(gemini, other).stream(BASIC_CONTEXT)));
    expect(bad.kind).toBe('bad_request');
    expect(bad.hint).toBeUndefined();
  });
});
