/**
 * One contract for every wire adapter: the same scenarios, served by the testkit's mock of
 * each API, must come out as the same StreamEvents and the same assembled response; and the
 * same faults, through the full provider stack built from config, must get the same retry,
 * no-retry and fallback behaviour with a clear final error.
 */
import {
  MOCKED_PROVIDERS,
  type MockApi,
  type MockLLM,
  type ScenarioStep,
  startMockLLM,
} from '@oxydra/testkit';
import { type Context, type ModelEvent, ProviderError, type ProviderType } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAPTER_FACTORIES, BreakerRegistry, collectResponse, createProvider } from '../src/index.js';

const CONTEXT: Context = {
  model: 'contract-model',
  messages: [
    { role: 'system', content: 'You are a contract test.' },
    { role: 'user', content: 'Go.' },
  ],
  tools: [
    {
      name: 'file_read',
      description: 'Read a file',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      safety: 'read_only',
    },
  ],
};

const mocks: MockLLM[] = [];
afterEach(async () => {
  await Promise.all(mocks.splice(0).map((mock) => mock.close()));
});

async function serve(api: MockApi, steps: ScenarioStep[]): Promise<MockLLM> {
  const mock = await startMockLLM({ api, scenario: steps });
  mocks.push(mock);
  return mock;
}

async function drain(events: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const out: ModelEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

async function* replay(events: ModelEvent[]): AsyncIterable<ModelEvent> {
  yield* events;
}

// Every type a mock server speaks for, with its mock wire: a new wire joins the contract unasked.
describe.each(MOCKED_PROVIDERS)('$api adapter contract', ({ type, api }) => {
  async function run(reply: ScenarioStep['reply']) {
    const mock = await serve(api, [{ reply }]);
    const provider = ADAPTER_FACTORIES[type]({ name: 'contract', baseURL: mock.url, apiKey: 'sk-contract' });
    const events = await drain(provider.stream(CONTEXT));
    return { events, response: await collectResponse(replay(events)), mock };
  }

  it('streams plain text as several deltas and assembles it', async () => {
    const { events, response } = await run({ text: 'Hello from the mock, streamed word by word.' });
    expect(events.filter((e) => e.type === 'text_delta').length).toBeGreaterThan(3);
    expect(response.message.content).toBe('Hello from the mock, streamed word by word.');
    expect(response.toolCalls).toEqual([]);
    expect(response.finishReason).toBe('stop');
  });

  it('returns one tool call with parsed arguments', async () => {
    const { events, response } = await run({
      text: 'Reading it.',
      toolCalls: [{ id: 'call_one', name: 'file_read', arguments: { path: 'notes/a.txt' } }],
    });
    expect(response.toolCalls).toHaveLength(1);
    expect(response.toolCalls[0]).toMatchObject({ name: 'file_read', arguments: { path: 'notes/a.txt' } });
    if (type !== 'gemini') expect(response.toolCalls[0]!.id).toBe('call_one'); // Gemini calls carry no id
    expect(response.message.content).toBe('Reading it.');
    expect(response.finishReason).toBe('tool_calls');
    const kinds = events.map((e) => e.type).filter((t) => t.startsWith('tool_call'));
    expect(kinds[0]).toBe('tool_call_start');
    expect(kinds.at(-1)).toBe('tool_call_end');
  });

  it('returns parallel tool calls in order, each with its own id', async () => {
    const { response } = await run({
      toolCalls: [
        { name: 'file_read', arguments: { path: 'a.txt' } },
        { name: 'file_read', arguments: { path: 'b.txt' } },
        { name: 'file_list', arguments: {} },
      ],
    });
    expect(response.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
      ['file_read', { path: 'a.txt' }],
      ['file_read', { path: 'b.txt' }],
      ['file_list', {}],
    ]);
    expect(new Set(response.toolCalls.map((c) => c.id)).size).toBe(3);
  });

  it('reassembles arguments split over many deltas', async () => {
    const args = { path: 'deep/nested/file name with "quotes".txt', lines: [1, 2, 3], mode: 'ünïcödé' };
    const { events, response } = await run({
      toolCalls: [{ name: 'file_read', arguments: args }],
      argumentChunks: 9,
    });
    expect(response.toolCalls[0]!.arguments).toEqual(args);
    const deltas = events.filter((e) => e.type === 'tool_call_delta');
    // Gemini's API sends whole argument objects (its streamed partialArgs are covered by the
    // recorded Vertex fixtures); the three others stream the JSON text in pieces.
    expect(deltas.length).toBeGreaterThanOrEqual(type === 'gemini' ? 1 : 9);
    const end = events.find((e) => e.type === 'tool_call_end');
    expect(end?.type === 'tool_call_end' && JSON.parse(end.rawArguments)).toEqual(args);
  });

  it('streams reasoning separately from the answer', async () => {
    const { events, response } = await run({ reasoning: 'First, think it through.', text: 'Answer.' });
    const reasoning = events
      .filter((e) => e.type === 'reasoning_delta')
      .map((e) => (e.type === 'reasoning_delta' ? e.text : ''))
      .join('');
    expect(reasoning).toBe('First, think it through.');
    expect(response.message.content).toBe('Answer.');
    expect(response.message.reasoning?.map((r) => r.text).join('')).toBe('First, think it through.');
  });

  it('reports usage normalised the same way on every API', async () => {
    const { response } = await run({
      text: 'Counted.',
      usage: { input: 100, output: 20, cacheRead: 40, reasoning: 5 },
    });
    expect(response.usage).toMatchObject({
      inputTokens: 140, // cache reads are part of the prompt
      outputTokens: 20, // reasoning is part of the output
      cacheReadTokens: 40,
      reasoningTokens: 5,
    });
  });
});

/** The full stack (factory, credentials, retries, breaker, fallbacks) over one or two mocks. */
async function stack(
  primary: { type: ProviderType; mock: MockLLM },
  fallback?: { type: ProviderType; mock: MockLLM },
) {
  const sleeps: number[] = [];
  const config = agentConfigSchema.parse({
    selection: {
      provider: 'primary',
      model: 'contract-model',
      fallbacks: fallback ? [{ provider: 'backup', model: 'backup-model' }] : [],
    },
    providers: {
      registry: {
        primary: { provider_type: primary.type, base_url: primary.mock.url, api_key_env: 'CONTRACT_KEY' },
        ...(fallback
          ? { backup: { provider_type: fallback.type, base_url: fallback.mock.url, api_key: 'sk-backup' } }
          : {}),
      },
    },
    catalog: { skip_catalog_validation: true },
  });
  const setup = createProvider(config, {
    env: { CONTRACT_KEY: 'sk-contract-secret' },
    hooks: {
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      breakers: new BreakerRegistry(),
    },
  });
  return { provider: setup.provider, sleeps };
}

async function attempt(provider: { stream(c: Context): AsyncIterable<ModelEvent> }) {
  const events: ModelEvent[] = [];
  try {
    for await (const event of provider.stream(CONTEXT)) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

function text(events: ModelEvent[]): string {
  return events.map((e) => (e.type === 'text_delta' ? e.text : '')).join('');
}

describe.each(MOCKED_PROVIDERS)('$api faults through the provider stack', ({ type, api }) => {
  const answer: ScenarioStep = { reply: { text: 'Recovered answer.' } };

  it('retries 429 after the server-given retry-after, then answers', async () => {
    const mock = await serve(api, [{ fault: { status: 429, retryAfter: 2 } }, answer]);
    const { provider, sleeps } = await stack({ type, mock });
    const { events, error } = await attempt(provider);
    expect(error).toBeUndefined();
    expect(text(events)).toBe('Recovered answer.');
    expect(sleeps).toEqual([2000]);
    expect(mock.requests).toHaveLength(2);
    expect(events.some((e) => e.type === 'progress' && e.progress.kind === 'retry')).toBe(true);
  });

  it.each([500, 503, 529])('retries status %i with exponential backoff', async (status) => {
    const mock = await serve(api, [{ fault: { status } }, { fault: { status } }, answer]);
    const { provider, sleeps } = await stack({ type, mock });
    const { events, error } = await attempt(provider);
    expect(error).toBeUndefined();
    expect(text(events)).toBe('Recovered answer.');
    expect(sleeps).toEqual([250, 500]);
  });

  it('gives up after max_attempts with a clear final error', async () => {
    const mock = await serve(api, [{ fault: { status: 503 }, times: 'always' }]);
    const { provider } = await stack({ type, mock });
    const { error } = await attempt(provider);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('overloaded');
    expect((error as Error).message).toMatch(/primary/);
    expect(mock.requests).toHaveLength(3);
  });

  it('fails at once on 401, naming the provider and the credential source but never the key', async () => {
    const mock = await serve(api, [{ fault: { status: 401 } }, answer]);
    const { provider, sleeps } = await stack({ type, mock });
    const { error } = await attempt(provider);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('auth');
    expect((error as Error).message).toContain('primary');
    expect((error as Error).message).toContain('$CONTRACT_KEY');
    expect((error as Error).message).not.toContain('sk-contract-secret');
    expect(mock.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('recognises a context overflow and does not retry it', async () => {
    const mock = await serve(api, [{ fault: { status: 400, contextOverflow: true } }, answer]);
    const { provider } = await stack({ type, mock });
    const { error } = await attempt(provider);
    expect((error as ProviderError).kind).toBe('context_overflow');
    expect(mock.requests).toHaveLength(1);
  });

  it('restarts a stream cut before any output', async () => {
    const mock = await serve(api, [{ reply: { text: 'Never seen.' }, fault: { cutAfterEvents: 0 } }, answer]);
    const { provider } = await stack({ type, mock });
    const { events, error } = await attempt(provider);
    expect(error).toBeUndefined();
    expect(text(events)).toBe('Recovered answer.');
    expect(mock.requests).toHaveLength(2);
  });

  it('surfaces a stream cut after output as an error, without retrying or duplicating text', async () => {
    const mock = await serve(api, [
      { reply: { text: 'one two three four five six seven eight' }, fault: { cutAfterEvents: 5 } },
      answer,
    ]);
    const { provider } = await stack({ type, mock });
    const { events, error } = await attempt(provider);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('transport');
    expect((error as ProviderError).partialOutput).toBe(true);
    expect(text(events).length).toBeGreaterThan(0);
    expect(text(events)).not.toContain('Recovered');
    expect(mock.requests).toHaveLength(1);
  });

  it('fails over to the next provider once retries are exhausted', async () => {
    const primaryMock = await serve(api, [{ fault: { status: 529 }, times: 'always' }]);
    const backupApi = MOCKED_PROVIDERS.find((a) => a.type !== type)!;
    const backupMock = await serve(backupApi.api, [{ reply: { text: 'Answer from the backup.' } }]);
    const { provider } = await stack({ type, mock: primaryMock }, { type: backupApi.type, mock: backupMock });
    const { events, error } = await attempt(provider);
    expect(error).toBeUndefined();
    expect(text(events)).toBe('Answer from the backup.');
    expect(primaryMock.requests).toHaveLength(3);
    expect(backupMock.requests).toHaveLength(1);
    expect(JSON.stringify(backupMock.requests[0]!.body)).toContain('backup-model');
  });
});
