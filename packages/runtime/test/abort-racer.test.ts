/**
 * abortRacer: the provider call's reads raced against its signal with one listener for the whole
 * stream. Each race settles like its read; an abort rejects the pending race at once with the
 * signal's reason (and every later one), a read abandoned that way may still reject without an
 * unhandled rejection, and dispose removes its entry. The signal keeps one real listener however
 * many racers and deadlines come and go on it (onAbort); a deadline races its own signal without
 * a listener on it.
 */

import { createAbortRacer, onAbort } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { abortRacer, deadlineController, RunAbort, systemClock } from '../src/deadline.js';
import { startAgentRun } from '../src/index.js';
import { FakeClock, finish, runOptions, scriptedProvider } from './helpers.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
afterEach(() => {
  unhandled.length = 0;
});

const later = <T>(ms: number, value: T, fail = false) =>
  new Promise<T>((resolve, reject) =>
    setTimeout(() => (fail ? reject(new Error(String(value))) : resolve(value)), ms),
  );

describe('abortRacer', () => {
  it('settles each race like its promise while the signal stands', async () => {
    const controller = new AbortController();
    const racer = abortRacer(controller.signal);
    expect(await racer.race(Promise.resolve(1))).toBe(1);
    expect(await racer.race(later(5, 2))).toBe(2);
    await expect(racer.race(later(5, 'read failed', true))).rejects.toThrow('read failed');
    racer.dispose();
  });

  it('an abort rejects the pending race at once, and every later one; the abandoned read is handled', async () => {
    const controller = new AbortController();
    const racer = abortRacer(controller.signal);
    const pending = racer.race(later(30, 'late failure', true));
    setTimeout(() => controller.abort(new Error('the call timed out')), 5);
    await expect(pending).rejects.toThrow('the call timed out');
    await expect(racer.race(Promise.resolve('too late'))).rejects.toThrow('the call timed out');
    await later(40, null);
    expect(unhandled).toEqual([]);
    racer.dispose();
  });

  it('dispose removes its entry: an abort after it rejects nothing', async () => {
    const controller = new AbortController();
    const listeners = countListeners(controller.signal);
    const racer = abortRacer(controller.signal);
    for (let i = 0; i < 10; i++) await racer.race(Promise.resolve(i));
    expect(listeners()).toBe(1);
    racer.dispose();
    const pending = racer.race(later(10, 'settles as its promise'));
    controller.abort();
    expect(await pending).toBe('settles as its promise');
    await later(5, null);
    expect(unhandled).toEqual([]);
  });
  it('rejects every race pending at the abort, with the reason the racer was made with', async () => {
    const controller = new AbortController();
    const racer = createAbortRacer(controller.signal, () => new Error('cancelled by the user'));
    const first = racer.race(later(30, 'first'));
    const second = racer.race(later(30, 'second'));
    const settled = racer.race(Promise.resolve('done'));
    expect(await settled).toBe('done');
    controller.abort();
    await expect(first).rejects.toThrow('cancelled by the user');
    await expect(second).rejects.toThrow('cancelled by the user');
    await later(40, null);
    expect(unhandled).toEqual([]);
    racer.dispose();
  });
});

/**
 * Counts the real 'abort' listeners added to `signal` and not removed since (and, with `added`,
 * every one ever added).
 */
function countListeners(signal: AbortSignal, added = false): () => number {
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    listeners++;
    add(...args);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    if (!added) listeners--;
    remove(...args);
  }) as typeof signal.removeEventListener;
  return () => listeners;
}

describe('onAbort', () => {
  it('calls each listener still registered once, in order, behind one real listener', () => {
    const controller = new AbortController();
    const listeners = countListeners(controller.signal);
    const calls: string[] = [];
    onAbort(controller.signal, () => calls.push('first'));
    const stop = onAbort(controller.signal, () => calls.push('removed'));
    onAbort(controller.signal, () => calls.push('second'));
    stop();
    expect(listeners()).toBe(1);
    controller.abort();
    controller.abort();
    expect(calls).toEqual(['first', 'second']);
  });

  it('a listener that throws is reported as uncaught, and the others still run', async () => {
    const controller = new AbortController();
    const uncaught: unknown[] = [];
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (error) => uncaught.push(error));
    try {
      const calls: string[] = [];
      onAbort(controller.signal, () => {
        throw new Error('listener failed');
      });
      onAbort(controller.signal, () => calls.push('ran'));
      controller.abort();
      expect(calls).toEqual(['ran']);
      await later(5, null);
      expect(uncaught).toEqual([new Error('listener failed')]);
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const listener of listeners) process.on('uncaughtException', listener);
    }
  });
});

describe('deadlineController', () => {
  const timeout = () => new Error('the call timed out');

  it("the run's signal gets one listener for many calls' deadlines", async () => {
    const run = new AbortController();
    const listeners = countListeners(run.signal, true);
    for (let i = 0; i < 20; i++) {
      const deadline = deadlineController(run.signal, 60_000, systemClock, timeout);
      expect(await deadline.race(Promise.resolve(i))).toBe(i);
      deadline.dispose();
    }
    expect(listeners()).toBe(1);
    const live = deadlineController(run.signal, 60_000, systemClock, timeout);
    const disposed = deadlineController(run.signal, 60_000, systemClock, timeout);
    disposed.dispose();
    run.abort(new Error('cancelled by the user'));
    expect(live.signal.reason).toEqual(new Error('cancelled by the user'));
    expect(disposed.signal.aborted).toBe(false);
    live.dispose();
  });

  it("race rejects at once with the abort's reason (parent or timeout), and settles as its promise once disposed", async () => {
    const run = new AbortController();
    const cancelled = deadlineController(run.signal, 60_000, systemClock, timeout);
    const pending = cancelled.race(later(30, 'late failure', true));
    setTimeout(() => run.abort(new Error('cancelled by the user')), 5);
    await expect(pending).rejects.toThrow('cancelled by the user');
    await expect(cancelled.race(Promise.resolve('too late'))).rejects.toThrow('cancelled by the user');
    cancelled.dispose();

    const timed = deadlineController(new AbortController().signal, 5, systemClock, timeout);
    await expect(timed.race(later(30, 'slow'))).rejects.toThrow('the call timed out');
    expect(timed.timedOut()).toBe(true);
    timed.dispose();

    const done = deadlineController(new AbortController().signal, 5, systemClock, timeout);
    done.dispose();
    expect(await done.race(later(20, 'after dispose'))).toBe('after dispose');
    await later(40, null);
    expect(unhandled).toEqual([]);
  });

  it('pause stops the clock (nested pauses until the last resume), keeping the time left; pausedMs counts the pauses', () => {
    const clock = new FakeClock();
    const deadline = deadlineController(new AbortController().signal, 100, clock, timeout);
    clock.advance(60);
    deadline.pause();
    deadline.pause();
    clock.advance(1000);
    deadline.resume();
    clock.advance(1000);
    expect(deadline.timedOut()).toBe(false);
    expect(deadline.pausedMs()).toBe(2000);
    deadline.resume();
    expect(clock.pending).toBe(1);
    clock.advance(39);
    expect(deadline.timedOut()).toBe(false);
    clock.advance(1);
    expect(deadline.timedOut()).toBe(true);
    expect(deadline.signal.reason).toEqual(new Error('the call timed out'));
    deadline.resume();
    expect(deadline.pausedMs()).toBe(2000);
    deadline.dispose();
    expect(clock.pending).toBe(0);
  });

  it('overlapping races: each settles as its promise until the abort, then every one still waiting rejects, in the order they began', async () => {
    const run = new AbortController();
    const deadline = deadlineController(run.signal, 60_000, systemClock, timeout);
    const order: string[] = [];
    const watch = (name: string, race: Promise<unknown>) =>
      race.then(
        (value) => order.push(`${name}=${String(value)}`),
        (error: Error) => order.push(`${name}:${error.message}`),
      );
    // The first (the one in the slot) settles, then a later one takes the slot while others wait.
    const first = watch('first', deadline.race(later(2, 'one')));
    const second = watch('second', deadline.race(later(500, 'two')));
    const third = watch('third', deadline.race(later(500, 'three')));
    await first;
    const fourth = watch('fourth', deadline.race(later(500, 'four')));
    const fifth = watch('fifth', deadline.race(Promise.resolve('five')));
    await fifth;
    run.abort(new Error('cancelled'));
    await Promise.all([second, third, fourth]);
    expect(order).toEqual([
      'first=one',
      'fifth=five',
      'second:cancelled',
      'third:cancelled',
      'fourth:cancelled',
    ]);
    // Alone again after the others: still raced.
    await expect(deadline.race(later(500, 'late'))).rejects.toThrow('cancelled');
    deadline.dispose();
  });
});

describe('RunAbort', () => {
  it('aborts once with the first reason; its signal, made before or after, carries it; deadlines follow', () => {
    const run = new RunAbort();
    const early = run.signal;
    const deadline = deadlineController(run, 60_000, systemClock, () => new Error('timed out'));
    const removed = deadlineController(run, 60_000, systemClock, () => new Error('timed out'));
    removed.dispose();
    const calls: string[] = [];
    const stop = run.onAbort(() => calls.push('removed'));
    run.onAbort(() => calls.push('kept'));
    stop();
    run.abort(new Error('cancelled by the user'));
    run.abort(new Error('a later reason'));
    expect(run.aborted).toBe(true);
    expect(early.reason).toEqual(new Error('cancelled by the user'));
    expect(run.signal.reason).toEqual(new Error('cancelled by the user'));
    expect(deadline.signal.reason).toEqual(new Error('cancelled by the user'));
    expect(removed.signal.aborted).toBe(false);
    expect(calls).toEqual(['kept']);
    const late = new RunAbort();
    late.abort(new Error('wall time'));
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toEqual(new Error('wall time'));
    deadline.dispose();
  });

  it("a run that only calls the model makes one AbortController, its call's", async () => {
    const provider = scriptedProvider([{ text: 'hello' }]);
    const Original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made++;
      }
    };
    try {
      const { result } = await finish(startAgentRun(runOptions(provider)));
      expect(result.status).toBe('completed');
    } finally {
      globalThis.AbortController = Original;
    }
    expect(made).toBe(1);
    expect(provider.signals[0]?.aborted).toBe(false);
  });
});
