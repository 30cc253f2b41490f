import { type Provider, ProviderError, reliabilitySchema } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  BreakerRegistry,
  CircuitBreaker,
  CircuitOpenError,
  type ReliabilityPolicy,
  withReliability,
} from '../src/reliability/index.js';
import { collect, failing, fakeProvider, fakeTime, ok, type Script, text } from './reliability-fakes.js';

// One attempt per call, so each call is one breaker observation.
const single: ReliabilityPolicy = reliabilitySchema().parse({
  max_attempts: 1,
  circuit_breaker_threshold: 3,
  circuit_breaker_cooldown_secs: 30,
});

function setup(scripts: Script[], policy = single) {
  const time = fakeTime();
  const breakers = new BreakerRegistry();
  const inner = fakeProvider('openai', scripts);
  const provider = withReliability(inner, policy, { sleep: time.sleep, now: time.now, breakers });
  return { inner, provider, time, breakers };
}

describe('circuit breaker', () => {
  it('opens after threshold consecutive failed calls and then fails fast without calling', async () => {
    const { inner, provider, time } = setup([
      failing('overloaded'),
      failing('rate_limited'),
      failing('transport'),
      ok(),
    ]);
    for (let i = 0; i < 3; i++) expect((await collect(provider)).error).toBeInstanceOf(ProviderError);
    expect(inner.calls).toHaveLength(3);

    const refused = await collect(provider);
    expect(refused.error).toBeInstanceOf(CircuitOpenError);
    const error = refused.error as CircuitOpenError;
    expect(error.kind).toBe('overloaded');
    expect(error.provider).toBe('openai');
    expect(error.message).toBe(
      'circuit breaker for openai is open after 3 consecutive failures; the next trial call is allowed in 30.0 s',
    );
    expect(error.retryAfterMs).toBe(30_000);
    expect(inner.calls).toHaveLength(3);

    time.advance(10_000);
    const later = (await collect(provider)).error as CircuitOpenError;
    expect(later.message).toContain('allowed in 20.0 s');
    expect(inner.calls).toHaveLength(3);
  });

  it('half-opens after the cooldown; a successful trial closes it', async () => {
    const { inner, provider, time } = setup([
      failing('overloaded'),
      failing('overloaded'),
      failing('overloaded'),
      ok('trial'),
      ok('after'),
      ok('again'),
    ]);
    for (let i = 0; i < 3; i++) await collect(provider);
    time.advance(29_999);
    expect((await collect(provider)).error).toBeInstanceOf(CircuitOpenError);
    time.advance(1);
    expect((await collect(provider)).text).toBe('trial');
    expect((await collect(provider)).text).toBe('after');
    expect((await collect(provider)).text).toBe('again');
    expect(inner.calls).toHaveLength(6);
  });

  it('re-opens for a full cooldown when the half-open trial fails', async () => {
    const { inner, provider, time } = setup([
      failing('overloaded'),
      failing('overloaded'),
      failing('overloaded'),
      failing('transport'),
      ok('recovered'),
    ]);
    for (let i = 0; i < 3; i++) await collect(provider);
    time.advance(30_000);
    const trial = await collect(provider);
    expect(trial.error).toBeInstanceOf(ProviderError);
    expect(trial.error).not.toBeInstanceOf(CircuitOpenError);
    expect(inner.calls).toHaveLength(4);

    const refused = (await collect(provider)).error as CircuitOpenError;
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused.retryAfterMs).toBe(30_000);
    time.advance(30_000);
    expect((await collect(provider)).text).toBe('recovered');
  });

  it('lets only one trial through while half-open', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { provider, time } = setup([
      failing('overloaded'),
      failing('overloaded'),
      failing('overloaded'),
      [{ wait: gate }, text('trial')],
    ]);
    for (let i = 0; i < 3; i++) await collect(provider);
    time.advance(30_000);
    const trial = collect(provider);
    await Promise.resolve();
    const second = await collect(provider);
    expect(second.error).toBeInstanceOf(CircuitOpenError);
    expect((second.error as Error).message).toContain('half-open and a trial call is already in flight');
    release();
    expect((await trial).text).toBe('trial');
  });

  it('counts only consecutive failures: an answer from the provider resets the count', async () => {
    const { inner, provider } = setup([
      failing('overloaded'),
      failing('overloaded'),
      failing('bad_request'),
      failing('overloaded'),
      failing('overloaded'),
      ok('still closed'),
    ]);
    for (let i = 0; i < 5; i++) await collect(provider);
    expect((await collect(provider)).text).toBe('still closed');
    expect(inner.calls).toHaveLength(6);
  });

  it('counts calls after their retries, not attempts: two retried calls do not open a threshold of 3', async () => {
    const policy = reliabilitySchema().parse({ max_attempts: 3, circuit_breaker_threshold: 3 });
    const { inner, provider } = setup(
      [...Array.from({ length: 6 }, () => failing('overloaded')), ok('still served')],
      policy,
    );
    for (let i = 0; i < 2; i++) {
      const failed = (await collect(provider)).error as ProviderError;
      expect(failed.message).toBe('fake: overloaded (gave up after 3 attempts)');
    }
    expect(inner.calls).toHaveLength(6);
    expect((await collect(provider)).text).toBe('still served');
  });

  it('stops a retry loop when other calls opened the breaker meanwhile', async () => {
    const policy = reliabilitySchema().parse({ max_attempts: 10, circuit_breaker_threshold: 1 });
    const time = fakeTime();
    const breakers = new BreakerRegistry();
    const hooks = { sleep: time.sleep, now: time.now, breakers };
    const retrying = withReliability(fakeProvider('openai', [failing('overloaded'), ok('never')]), policy, {
      ...hooks,
      sleep: async () => void (await collect(other)),
    });
    const other = withReliability(fakeProvider('openai', [failing('transport')]), single, hooks);
    const result = await collect(retrying);
    expect(result.error).toBeInstanceOf(CircuitOpenError);
    expect((result.error as Error).message).toMatch(/^fake: overloaded; circuit breaker for openai is open/);
  });

  it('ignores errors tied to one request: a stream cut after output neither counts nor resets', async () => {
    const { provider } = setup([
      failing('overloaded'),
      failing('overloaded'),
      [text('half an answer'), ...failing('transport')],
      [text('half again'), ...failing('transport')],
      failing('overloaded'),
    ]);
    for (let i = 0; i < 4; i++) await collect(provider);
    expect((await collect(provider)).error).not.toBeInstanceOf(CircuitOpenError);
    expect((await collect(provider)).error).toBeInstanceOf(CircuitOpenError);
  });

  it('is shared by every wrapper of the same provider name in a registry', async () => {
    const time = fakeTime();
    const breakers = new BreakerRegistry();
    const hooks = { sleep: time.sleep, now: time.now, breakers };
    const a = withReliability(
      fakeProvider('openai', [failing('overloaded'), failing('overloaded')]),
      single,
      hooks,
    );
    const b = withReliability(fakeProvider('openai', [failing('overloaded'), ok()]), single, hooks);
    const other = withReliability(fakeProvider('anthropic', [ok('fine')]), single, hooks);
    await collect(a);
    await collect(a);
    await collect(b);
    expect((await collect(b)).error).toBeInstanceOf(CircuitOpenError);
    expect((await collect(other)).text).toBe('fine');
  });

  it('frees the half-open trial when the caller stops reading early', async () => {
    const breaker = new CircuitBreaker('p', { threshold: 1, cooldownMs: 1000 });
    breaker.onFailure(0);
    expect(breaker.state(500)).toBe('open');
    expect(breaker.state(1000)).toBe('half_open');
    breaker.acquire(1000);
    expect(() => breaker.acquire(1000)).toThrow(CircuitOpenError);
    breaker.release();
    expect(() => breaker.acquire(1000)).not.toThrow();

    const time = fakeTime();
    const breakers = new BreakerRegistry();
    const provider = withReliability(
      fakeProvider('openai', [failing('overloaded'), [text('a'), text('b')], ok('next')]),
      reliabilitySchema().parse({
        max_attempts: 1,
        circuit_breaker_threshold: 1,
        circuit_breaker_cooldown_secs: 1,
      }),
      { sleep: time.sleep, now: time.now, breakers },
    );
    await collect(provider);
    time.advance(1000);
    for await (const event of provider.stream({ model: 'm', messages: [] })) {
      expect(event).toEqual(text('a'));
      break;
    }
    expect((await collect(provider)).text).toBe('next');
  });

  it("return() mid-call closes the attempt's stream, then frees the trial; before the first read it takes none", async () => {
    const time = fakeTime();
    const breakers = new BreakerRegistry();
    const closed: string[] = [];
    const inner: Provider = {
      name: 'p',
      type: 'openai',
      async *stream() {
        try {
          yield text('a');
          yield text('b');
        } finally {
          closed.push('attempt closed');
        }
      },
    };
    const provider = withReliability(
      inner,
      reliabilitySchema().parse({
        max_attempts: 1,
        circuit_breaker_threshold: 1,
        circuit_breaker_cooldown_secs: 1,
      }),
      { sleep: time.sleep, now: time.now, breakers },
    );
    const breaker = breakers.get('p', { threshold: 1, cooldownMs: 1000 });
    breaker.onFailure(time.now());
    time.advance(1000);
    // Half-open: one trial at a time. A call returned before its first read never took it.
    const unread = provider.stream({ model: 'm', messages: [] })[Symbol.asyncIterator]();
    expect(await unread.return?.()).toEqual({ done: true, value: undefined });
    const call = provider.stream({ model: 'm', messages: [] })[Symbol.asyncIterator]();
    expect(await call.next()).toEqual({ done: false, value: text('a') });
    expect(() => breaker.acquire(time.now())).toThrow(CircuitOpenError);
    expect(await call.return?.()).toEqual({ done: true, value: undefined });
    expect(closed).toEqual(['attempt closed']);
    expect(await call.next()).toEqual({ done: true, value: undefined });
    expect(() => breaker.acquire(time.now())).not.toThrow();
  });
});
