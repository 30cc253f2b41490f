/** The kernel's per-user limit on its own: FIFO waiters, aborts, refusals, users and tokens apart. */
import { describe, expect, it } from 'vitest';
import { Admission } from '../src/services/admission.js';

const alice = { userId: 'alice' };

describe('Admission', () => {
  it('grants up to the limit per user, then queues in arrival order', async () => {
    const admission = new Admission(2);
    const order: string[] = [];
    const signal = new AbortController().signal;
    const first = await admission.acquire(alice, signal);
    const second = await admission.acquire(alice, signal);
    await admission.acquire({ userId: 'bob' }, signal); // another user is not held up
    const waiting = ['w1', 'w2', 'w3'].map((name) =>
      admission.acquire(alice, signal).then((release) => {
        order.push(name);
        return release;
      }),
    );
    expect(admission.running(alice)).toBe(2);
    expect(admission.waiting(alice)).toBe(3);
    first();
    first(); // releasing twice frees one slot only
    const w1 = await waiting[0]!;
    expect(order).toEqual(['w1']);
    second();
    w1();
    await Promise.all(waiting.slice(1));
    expect(order).toEqual(['w1', 'w2', 'w3']);
    expect(admission.running(alice)).toBe(2);
  });

  it('drops a queued waiter whose signal aborts: it leaves the queue without a slot', async () => {
    const admission = new Admission(1);
    const release = await admission.acquire(alice, new AbortController().signal);
    const controller = new AbortController();
    const aborted = admission.acquire(alice, controller.signal);
    const behind = admission.acquire(alice, new AbortController().signal);
    expect(admission.waiting(alice)).toBe(2);
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    expect(admission.waiting(alice)).toBe(1);
    release(); // the slot goes to the waiter behind, not to the aborted one
    const next = await behind;
    expect(admission.running(alice)).toBe(1);
    next();
    expect(admission.running(alice)).toBe(0);
    expect(admission.waiting(alice)).toBe(0);
  });

  it('refuses at once past the limit, naming it, and never jumps the queue', async () => {
    const admission = new Admission(1);
    const held = await admission.tryAcquire(alice);
    if (!('release' in held)) throw new Error('the first run should get a slot');
    const refused = await admission.tryAcquire(alice);
    expect(refused).toEqual({ refusal: expect.stringContaining('max_concurrent_turns_per_user') });
    // A token acting for no user has slots of its own: it neither takes nor loses alice's.
    expect('release' in (await admission.tryAcquire({ tokenId: 'alice' }))).toBe(true);
    const waiter = admission.acquire(alice, new AbortController().signal);
    await held.release(); // passes to the waiter: a refusing caller cannot take it in between
    expect('refusal' in (await admission.tryAcquire(alice))).toBe(true);
    await (await waiter)();
    expect('release' in (await admission.tryAcquire(alice))).toBe(true);
  });

  it('takes a new limit from its host, and refuses a nonsense one', () => {
    const admission = new Admission(10);
    admission.setLimit(1);
    expect(admission.limit).toBe(1);
    expect(() => admission.setLimit(0)).toThrow(RangeError);
  });
});
