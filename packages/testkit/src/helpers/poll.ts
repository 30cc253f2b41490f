/**
 * The one polling helper for tests: waits until a condition that arrives asynchronously holds
 * (a spawned process's progress, a file written by another process, a frame on a socket).
 * The timeout is a bound that turns a hang into a failure naming what was awaited, never a
 * timing assertion.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Wait this long between checks (default 25 ms). */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns a truthy value and resolves with that value; `check` may be
 * async. After `timeoutMs` it rejects with "timed out after N ms waiting for <what>". `what`
 * may be a function, called only on timeout, so the message can also say what was last seen
 * ("5 calls (saw 3)"): a failure that shows how far things got needs no rerun to diagnose.
 * A check that throws fails the wait at once (a broken check is not a condition still to come).
 */
export async function pollUntil<T>(
  check: () => T | Promise<T>,
  what: string | (() => string),
  options: PollOptions = {},
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const { timeoutMs = 10_000, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | 0 | '' | null | undefined>;
    if (Date.now() > deadline) {
      const awaited = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${awaited}`);
    }
    await sleep(intervalMs);
  }
}
