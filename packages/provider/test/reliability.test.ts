import {
  Cancelled,
  type ModelEvent,
  ProviderError,
  type ProviderErrorKind,
  reliabilitySchema,
} from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  BreakerRegistry,
  backoffDelay,
  DEFAULT_RELIABILITY,
  type ReliabilityPolicy,
  type RetryInfo,
  withReliability,
} from '../src/reliability/index.js';
import {
  collect,
  fail,
  failing,
  fakeProvider,
  fakeTime,
  finish,
  ok,
  text,
  usage,
} from './reliability-fakes.js';

function policy(overrides: Partial<ReliabilityPolicy> = {}): ReliabilityPolicy {
  // A high breaker threshold keeps the breaker out of the retry tests.
  return reliabilitySchema().parse({ circuit_breaker_threshold: 100, ...overrides });
}

function setup(scripts: Parameters<typeof fakeProvider>[1], overrides: Partial<ReliabilityPolicy> = {}) {
  const time = fakeTime();
  const inner = fakeProvider('fake', scripts);
  const retries: RetryInfo[] = [];
  const provider = withReliability(inner, policy(overrides), {
    sleep: time.sleep,
    now: time.now,
    breakers: new BreakerRegistry(),
    onRetry: (info) => retries.push(info),
  });
  return { inner, provider, time, retries };
}

describe('withReliability: retries', () => {
  it.each<ProviderErrorKind>(['rate_limited', 'overloaded', 'transport'])(
    'retries %s with exponential backoff and then succeeds',
    async (kind) => {
      const { inner, provider, time } = setup([failing(kind), failing(kind), ok('done')]);
      const result = await collect(provider);
      expect(result.error).toBeUndefined();
      expect(result.text).toBe('done');
      expect(inner.calls).toHaveLength(3);
      expect(time.state.sleeps).toEqual([250, 500]);
    },
  );

  it('caps the backoff at backoff_max_ms', async () => {
    const { provider, time } = setup([...Array.from({ length: 5 }, () => failing('overloaded')), ok()], {
      max_attempts: 6,
      backoff_base_ms: 250,
      backoff_max_ms: 1000,
    });
    const result = await collect(provider);
    expect(result.error).toBeUndefined();
    expect(time.state.sleeps).toEqual([250, 500, 1000, 1000, 1000]);
  });

  it('emits a retry progress event before each retry and reports it to onRetry', async () => {
    const { provider, retries } = setup([failing('rate_limited'), ok()], {
      backoff_base_ms: 1200,
      backoff_max_ms: 5000,
    });
    const result = await collect(provider, { model: 'gpt-x' });
    expect(result.progress).toEqual(['retrying fake after rate_limited in 1.2 s (attempt 2/3)']);
    expect(result.events[0]).toEqual({
      type: 'progress',
      progress: { kind: 'retry', message: 'retrying fake after rate_limited in 1.2 s (attempt 2/3)' },
    });
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({
      provider: 'fake',
      model: 'gpt-x',
      attempt: 2,
      maxAttempts: 3,
      delayMs: 1200,
    });
    expect(retries[0]!.error.kind).toBe('rate_limited');
  });

  it.each<ProviderErrorKind>(['auth', 'bad_request', 'context_overflow'])(
    'fails at once on %s',
    async (kind) => {
      const { inner, provider, time } = setup([failing(kind), ok()]);
      const result = await collect(provider);
      expect(result.error).toBeInstanceOf(ProviderError);
      expect((result.error as ProviderError).kind).toBe(kind);
      expect((result.error as ProviderError).message).toBe(`fake: ${kind}`);
      expect(inner.calls).toHaveLength(1);
      expect(time.state.sleeps).toEqual([]);
      expect(result.progress).toEqual([]);
    },
  );

  it('gives up after max_attempts and says so, keeping the kind', async () => {
    const { inner, provider, time } = setup([
      failing('overloaded'),
      failing('overloaded'),
      failing('overloaded'),
      ok(),
    ]);
    const result = await collect(provider);
    const error = result.error as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.kind).toBe('overloaded');
    expect(error.message).toBe('fake: overloaded (gave up after 3 attempts)');
    expect(inner.calls).toHaveLength(3);
    expect(time.state.sleeps).toEqual([250, 500]);
  });

  it('max_attempts = 1 means no retry at all', async () => {
    const { inner, provider } = setup([failing('transport'), ok()], { max_attempts: 1 });
    const result = await collect(provider);
    expect((result.error as ProviderError).message).toBe('fake: transport');
    expect(inner.calls).toHaveLength(1);
  });

  it('does not retry errors that are not ProviderErrors (bugs)', async () => {
    const { inner, provider } = setup([[{ throw: new TypeError('boom') }], ok()]);
    const result = await collect(provider);
    expect(result.error).toBeInstanceOf(TypeError);
    expect(inner.calls).toHaveLength(1);
  });
});

describe('withReliability: retry-after', () => {
  it('waits what the server asked instead of the backoff', async () => {
    const { provider, time } = setup([failing('rate_limited', { retryAfterMs: 7000 }), ok()]);
    const result = await collect(provider);
    expect(result.error).toBeUndefined();
    expect(time.state.sleeps).toEqual([7000]);
    expect(result.progress).toEqual(['retrying fake after rate_limited in 7.0 s (attempt 2/3)']);
  });

  it('honours a retry-after exactly at the cap', async () => {
    const { provider, time } = setup([failing('rate_limited', { retryAfterMs: 60_000 }), ok()]);
    expect((await collect(provider)).error).toBeUndefined();
    expect(time.state.sleeps).toEqual([60_000]);
  });

  it('fails at once when the server asks for longer than retry_after_cap_ms', async () => {
    const { inner, provider, time } = setup([failing('rate_limited', { retryAfterMs: 120_000 }), ok()]);
    const result = await collect(provider);
    const error = result.error as ProviderError;
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(120_000);
    expect(error.message).toContain('asked to wait 120.0 s before retrying');
    expect(error.message).toContain('retry_after_cap_ms (60.0 s)');
    expect(inner.calls).toHaveLength(1);
    expect(time.state.sleeps).toEqual([]);
  });
});

describe('withReliability: jitter', () => {
  it('draws each wait uniformly below the exponential ceiling', async () => {
    const draws = [0.5, 0.25, 0.999];
    const time = fakeTime();
    const inner = fakeProvider('fake', [
      failing('overloaded'),
      failing('overloaded'),
      failing('overloaded'),
      ok(),
    ]);
    const provider = withReliability(inner, policy({ jitter: true, max_attempts: 4 }), {
      sleep: time.sleep,
      now: time.now,
      random: () => draws.shift() ?? 0,
      breakers: new BreakerRegistry(),
    });
    expect((await collect(provider)).error).toBeUndefined();
    // ceilings 250, 500, 1000
    expect(time.state.sleeps).toEqual([125, 125, 999]);
  });

  it('stays within [0, ceiling) for any random value', () => {
    const jittered = policy({ jitter: true, backoff_base_ms: 100, backoff_max_ms: 800 });
    for (let attempt = 1; attempt <= 6; attempt++) {
      const ceiling = Math.min(100 * 2 ** (attempt - 1), 800);
      for (const r of [0, 0.3, 0.999999]) {
        const delay = backoffDelay(jittered, attempt, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
    expect(backoffDelay(policy(), 3, () => 0.1)).toBe(1000);
  });

  it('uses the schema defaults as DEFAULT_RELIABILITY', () => {
    expect(DEFAULT_RELIABILITY).toMatchObject({
      max_attempts: 3,
      backoff_base_ms: 250,
      backoff_max_ms: 2000,
    });
  });
});

describe('withReliability: stream cuts', () => {
  it('restarts a stream cut before any output, without duplicating anything', async () => {
    const { inner, provider, time } = setup([
      [usage, fail('transport')],
      [text('Hel'), text('lo'), finish],
    ]);
    const result = await collect(provider);
    expect(result.error).toBeUndefined();
    expect(result.text).toBe('Hello');
    expect(inner.calls).toHaveLength(2);
    expect(time.state.sleeps).toEqual([250]);
    expect(result.events.filter((e) => e.type === 'finish')).toHaveLength(1);
  });

  it('surfaces a cut after output as an error with partialOutput, never replaying text', async () => {
    const { inner, provider, time } = setup([[text('Hel'), fail('transport')], ok('Hello')]);
    const result = await collect(provider);
    const error = result.error as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.kind).toBe('transport');
    expect(error.partialOutput).toBe(true);
    expect(error.retriable).toBe(false);
    expect(result.text).toBe('Hel');
    expect(inner.calls).toHaveLength(1);
    expect(time.state.sleeps).toEqual([]);
  });

  it.each<[string, ModelEvent]>([
    ['text', text('Hi')],
    ['reasoning', { type: 'reasoning_delta', text: 'thinking' }],
    ['a tool-call start', { type: 'tool_call_start', index: 0, id: 'c1', name: 'file_read' }],
    ['finish', finish],
  ])('treats a cut after %s as a cut after output', async (_, event) => {
    const { inner, provider } = setup([[event, fail('overloaded')], ok()]);
    const result = await collect(provider);
    expect((result.error as ProviderError).partialOutput).toBe(true);
    expect(inner.calls).toHaveLength(1);
  });

  it.each<[string, ModelEvent]>([
    ['usage', usage],
    ['progress', { type: 'progress', progress: { kind: 'provider_call', message: 'calling' } }],
  ])('restarts a stream cut after only a %s event', async (_, event) => {
    const { inner, provider } = setup([[event, fail('overloaded')], ok('fine')]);
    const result = await collect(provider);
    expect(result.error).toBeUndefined();
    expect(result.text).toBe('fine');
    expect(inner.calls).toHaveLength(2);
  });
});

describe('withReliability: cancellation', () => {
  it('stops retrying when the signal is aborted during the wait', async () => {
    const controller = new AbortController();
    const inner = fakeProvider('fake', [failing('overloaded'), ok()]);
    const provider = withReliability(inner, policy(), {
      sleep: async () => controller.abort(),
      breakers: new BreakerRegistry(),
    });
    const result = await collect(provider, {}, { signal: controller.signal });
    expect(result.error).toBeInstanceOf(Cancelled);
    expect(inner.calls).toHaveLength(1);
  });
});
