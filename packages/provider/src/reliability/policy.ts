/** The `[reliability]` settings and the backoff they define. */
import { type AgentConfig, SECTION_DEFAULTS } from '@oxydra/types';

export type ReliabilityPolicy = AgentConfig['reliability'];

/** The schema's defaults: 3 attempts, 250 ms doubling to 2 s, no jitter, retry-after up to 60 s, breaker 5 / 30 s. */
export const DEFAULT_RELIABILITY: ReliabilityPolicy = SECTION_DEFAULTS.reliability;

/**
 * Wait before the attempt after failed attempt `attempt` (1-based): min(base * 2^(attempt-1), max),
 * or with `jitter` a uniformly random wait in [0, that) ("full jitter"), which spreads out clients
 * that failed together so they do not retry in lockstep.
 */
export function backoffDelay(policy: ReliabilityPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.backoff_base_ms * 2 ** (attempt - 1), policy.backoff_max_ms);
  return policy.jitter ? Math.floor(random() * ceiling) : ceiling;
}

/** 1234 -> "1.2 s" */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
