/**
 * A clock a test moves by hand (`advance`), for code that reads the time through an injected
 * Clock (the scheduler, budgets' windows). Its timers still run on real time, so the runtime's
 * own timeouts and heartbeats behave as in production.
 */
export interface HandClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  advance(ms: number): void;
}

export function handClock(start = Date.parse('2026-11-23T08:00:00Z')): HandClock {
  let now = start;
  return {
    now: () => now,
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    advance(ms) {
      now += ms;
    },
  };
}
