/**
 * Idempotency-Keys are kept per route and user, in one table of the gateway's: one user making
 * request after request with new keys must not push another user's finished answer out, or that
 * user's retry (a connection lost as the answer ended) would run the agent a second time. Before,
 * 1,000 keys of anyone's evicted the oldest finished answers of everyone.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyStore, MAX_KEPT_BYTES_PER_SCOPE } from '../src/http/idempotency.js';

describe('Idempotency-Key table', () => {
  it("keeps a user's finished answer however many keys another user makes", () => {
    const store = new IdempotencyStore(() => 0);
    const bob = store.claim('chat bob', 'order-42', { prompt: 'buy it' });
    if (bob.kind !== 'new') throw new Error('expected a new key');
    bob.recording.end('done');
    for (let i = 0; i < 2000; i++) {
      const alice = store.claim('chat alice', `k-${i}`, { prompt: 'x' });
      if (alice.kind === 'new') alice.recording.end('ok');
    }
    expect(store.claim('chat bob', 'order-42', { prompt: 'buy it' }).kind).toBe('replay');
    // Alice's own recent keys still replay; her oldest went first.
    expect(store.claim('chat alice', 'k-1999', { prompt: 'x' }).kind).toBe('replay');
    expect(store.claim('chat alice', 'k-0', { prompt: 'x' }).kind).toBe('new');
  });
});

describe('Idempotency-Key answers kept', () => {
  it("are bounded in bytes per route and user, the oldest finished going first, never another user's", () => {
    const store = new IdempotencyStore(() => 0);
    const bob = store.claim('chat bob', 'order-42', { prompt: 'buy it' });
    if (bob.kind !== 'new') throw new Error('expected a new key');
    bob.recording.end('done');
    // Fewer keys than the count cap, each a long streamed answer: before, all of them were kept
    // for a day (100 keys of such answers per route and user).
    const answer = 'x'.repeat(1024 * 1024);
    const keys = Math.ceil((2 * MAX_KEPT_BYTES_PER_SCOPE) / answer.length);
    for (let i = 0; i < keys; i++) {
      const alice = store.claim('chat alice', `k-${i}`, { prompt: 'x' });
      if (alice.kind !== 'new') throw new Error('expected a new key');
      alice.recording.write(answer);
      alice.recording.end();
    }
    expect(store.keptBytes('chat alice')).toBeLessThanOrEqual(MAX_KEPT_BYTES_PER_SCOPE);
    expect(store.claim('chat alice', `k-${keys - 1}`, { prompt: 'x' }).kind).toBe('replay');
    expect(store.claim('chat alice', 'k-0', { prompt: 'x' }).kind).toBe('new');
    expect(store.claim('chat bob', 'order-42', { prompt: 'buy it' }).kind).toBe('replay');
  });
});
