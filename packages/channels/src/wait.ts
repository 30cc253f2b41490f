/** The host's waits: between retries, and while a chat's edit interval runs out; each ends early on close. */
import type { Clock } from '@oxydra/runtime';
import { ChannelRetryableError } from '@oxydra/types';

/** How long to wait before trying again: what the platform asked, else 1 s doubling to 30 s. */
export function retryWait(error: unknown, failures: number): number {
  if (error instanceof ChannelRetryableError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  return Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleepUnless(timer: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      timer.clearTimeout(handle);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const handle = timer.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
