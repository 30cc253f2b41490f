import { ProviderError, type ProviderErrorKind, reliabilitySchema } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  BreakerRegistry,
  CircuitOpenError,
  type FallbackInfo,
  shouldFallBack,
  withFallbacks,
  withReliability,
} from '../src/reliability/index.js';
import { collect, fail, failing, fakeProvider, fakeTime, ok, text } from './reliability-fakes.js';

describe('withFallbacks', () => {
  it('moves to the next provider/model when one fails with a retriable error', async () => {
    const primary = fakeProvider('openai', [failing('overloaded', { provider: 'openai' })]);
    const backup = fakeProvider('anthropic', [ok('from backup')], 'anthropic');
    const seen: FallbackInfo[] = [];
    const provider = withFallbacks(
      [
        { provider: primary, model: 'gpt-4o' },
        { provider: backup, model: 'claude-sonnet-4-5' },
      ],
      { onFallback: (info) => seen.push(info) },
    );
    const result = await collect(provider, { model: 'gpt-4o' });
    expect(result.error).toBeUndefined();
    expect(result.text).toBe('from backup');
    expect(backup.calls[0]!.model).toBe('claude-sonnet-4-5');
    expect(result.progress).toEqual([
      'openai (gpt-4o) is unavailable: it failed with overloaded; falling back to anthropic (claude-sonnet-4-5)',
    ]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.to).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-5' });
    expect(provider.name).toBe('openai');
  });

  it('tries the targets in order and stops at the first that answers', async () => {
    const order: string[] = [];
    const make = (name: string, script: Parameters<typeof fakeProvider>[1]) => {
      const p = fakeProvider(name, script);
      return {
        name,
        type: p.type,
        stream: (ctx: Parameters<typeof p.stream>[0]) => {
          order.push(`${name}/${ctx.model}`);
          return p.stream(ctx);
        },
      };
    };
    const provider = withFallbacks([
      { provider: make('a', [failing('rate_limited')]), model: 'a1' },
      { provider: make('b', [failing('transport')]), model: 'b1' },
      { provider: make('c', [ok('c answered')]), model: 'c1' },
      { provider: make('d', [ok('never')]), model: 'd1' },
    ]);
    const result = await collect(provider, { model: 'a-from-caller' });
    expect(result.text).toBe('c answered');
    expect(order).toEqual(['a/a-from-caller', 'b/b1', 'c/c1']);
    expect(result.progress).toHaveLength(2);
  });

  it.each<ProviderErrorKind>(['auth', 'bad_request', 'context_overflow'])(
    'does not fall back on %s',
    async (kind) => {
      const backup = fakeProvider('b', [ok()]);
      const provider = withFallbacks([
        { provider: fakeProvider('a', [failing(kind)]), model: 'a1' },
        { provider: backup, model: 'b1' },
      ]);
      const result = await collect(provider);
      expect((result.error as ProviderError).kind).toBe(kind);
      expect(backup.calls).toHaveLength(0);
      expect(result.progress).toEqual([]);
    },
  );

  it('does not fall back after output was streamed', async () => {
    const backup = fakeProvider('b', [ok('duplicate')]);
    const provider = withFallbacks([
      { provider: fakeProvider('a', [[text('partial '), fail('transport')]]), model: 'a1' },
      { provider: backup, model: 'b1' },
    ]);
    const result = await collect(provider);
    expect(result.error).toBeInstanceOf(ProviderError);
    expect(result.text).toBe('partial ');
    expect(backup.calls).toHaveLength(0);
  });

  it('falls back at once when the primary circuit breaker is open, without calling it', async () => {
    const time = fakeTime();
    const hooks = { sleep: time.sleep, now: time.now, breakers: new BreakerRegistry() };
    const policy = reliabilitySchema().parse({ max_attempts: 1, circuit_breaker_threshold: 1 });
    const primaryInner = fakeProvider('openai', [failing('overloaded'), ok('unused')]);
    const primary = withReliability(primaryInner, policy, hooks);
    const backup = withReliability(fakeProvider('gemini', [ok('one'), ok('two')], 'gemini'), policy, hooks);
    const provider = withFallbacks([
      { provider: primary, model: 'gpt-4o' },
      { provider: backup, model: 'gemini-2.5-flash' },
    ]);

    expect((await collect(provider)).text).toBe('one');
    const second = await collect(provider);
    expect(second.text).toBe('two');
    expect(second.progress[0]).toContain(
      'its circuit breaker is open; falling back to gemini (gemini-2.5-flash)',
    );
    expect(primaryInner.calls).toHaveLength(1);
  });

  it('throws the last error when every target fails', async () => {
    const provider = withFallbacks([
      { provider: fakeProvider('a', [failing('overloaded', { provider: 'a' })]), model: 'a1' },
      { provider: fakeProvider('b', [failing('rate_limited', { provider: 'b' })]), model: 'b1' },
    ]);
    const result = await collect(provider);
    expect((result.error as ProviderError).provider).toBe('b');
    expect((result.error as ProviderError).kind).toBe('rate_limited');
  });

  it('is the provider itself when there is nothing to fall back to', () => {
    const only = fakeProvider('a', []);
    expect(withFallbacks([{ provider: only, model: 'x' }])).toBe(only);
    expect(() => withFallbacks([])).toThrow(/at least one/);
  });

  it('decides by kind, breaker state and partial output', () => {
    const error = (kind: ProviderErrorKind, partialOutput = false) =>
      new ProviderError('x', { kind, provider: 'p', partialOutput });
    expect(shouldFallBack(error('overloaded'))).toBe(true);
    expect(shouldFallBack(error('transport', true))).toBe(false);
    expect(shouldFallBack(error('auth'))).toBe(false);
    expect(shouldFallBack(new CircuitOpenError('p', 'open'))).toBe(true);
    expect(shouldFallBack(new Error('bug'))).toBe(false);
  });
});
