/**
 * How long to wait before reconnect attempt `attempt` (1-based): doubling from 250 ms up to 5 s,
 * each delay jittered by ±20% so many clients of a restarted gateway do not reconnect in step.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 5_000 };

export function reconnectDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  const jittered = base * (0.8 + 0.4 * random());
  return Math.round(Math.min(policy.maxMs, jittered));
}
