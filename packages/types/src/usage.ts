/**
 * Token usage of one model call, exactly as the provider reported it. A field the provider
 * did not report stays undefined, so "0 cached tokens" and "not reported" stay different.
 */
export interface Usage {
  /** Prompt tokens not read from a cache (Anthropic reports them this way; others are normalised to it). */
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  /** Cost in US dollars computed from the model catalog's prices; undefined when prices are unknown. */
  costUsd?: number;
  /** The provider's own usage object, for debugging and exact audits. */
  raw?: unknown;
}

const TOKEN_FIELDS = [
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'costUsd',
] as const;

/** Sum two usages field by field; a field stays undefined only if both sides lack it. */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {};
  for (const field of TOKEN_FIELDS) {
    const left = a[field];
    const right = b[field];
    if (left !== undefined || right !== undefined) sum[field] = (left ?? 0) + (right ?? 0);
  }
  return sum;
}
