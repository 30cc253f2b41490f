/**
 * Output scrubbing, applied to everything a tool hands back: host paths first (so the later rules
 * see the paths the model sees), then known secret values, then credential keywords, then
 * high-entropy tokens: the order of the original Oxydra's scrubber.
 */
import { redactHighEntropy } from './entropy.js';
import { type HostPathMapping, rewriteHostPaths } from './host-paths.js';
import { redactKeywords } from './keywords.js';
import { redactLiterals } from './literals.js';

export { looksLikeSecret, redactHighEntropy, shannonEntropy } from './entropy.js';
export { type HostPathMapping, rewriteHostPaths, workspacePathMapping } from './host-paths.js';
export { redactKeywords } from './keywords.js';
export { REDACTED, redactLiterals } from './literals.js';

export interface ScrubOptions {
  /** Literal secret values (API keys the process holds, tokens) replaced wherever they appear. */
  secrets?: readonly string[];
  hostPaths?: readonly HostPathMapping[];
}

export function scrubText(text: string, options: ScrubOptions = {}): string {
  let result = rewriteHostPaths(text, options.hostPaths ?? []);
  result = redactLiterals(result, options.secrets ?? []);
  result = redactKeywords(result);
  return redactHighEntropy(result);
}

/** Scrubs every string inside plain data (a tool's structured `data` for UIs and logs). */
export function scrubValue<T>(value: T, options: ScrubOptions = {}): T {
  return scrubAny(value, options) as T;
}

function scrubAny(value: unknown, options: ScrubOptions): unknown {
  if (typeof value === 'string') return scrubText(value, options);
  if (Array.isArray(value)) return value.map((item) => scrubAny(item, options));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubAny(item, options)]));
  }
  return value;
}
