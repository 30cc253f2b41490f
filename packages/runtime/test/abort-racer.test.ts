/**
 * abortRacer: the provider call's reads raced against its signal with one listener for the whole
 * stream. Each race settles like its read; an abort rejects the pending race at once with the
 * signal's reason (and every later one), a read abandoned that way may still reject without an
 * unhandled rejection, and dispose removes the listener.
 */

import { createAbortRacer } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { abortRacer } from '../src/deadline.js';

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

  it('dispose removes its listener: an abort after it rejects nothing', async () => {
    const controller = new AbortController();
    let listeners = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof signal.removeEventListener;
    const racer = abortRacer(signal);
    for (let i = 0; i < 10; i++) await racer.race(Promise.resolve(i));
    expect(listeners).toBe(1);
    racer.dispose();
    expect(listeners).toBe(0);
    controller.abort();
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
