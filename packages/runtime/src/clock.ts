/**
 * Time as the runtime sees it. Every timeout, heartbeat and wall-time limit goes through a Clock
 * so tests can drive time by hand instead of sleeping.
 */
export interface Clock {
  now(): number;
  // Method syntax on purpose: it lets Node's own setTimeout/clearTimeout (and fakes) fit as they are.
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** "12 s", "1.5 s", "250 ms": durations as a person reads them in messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
