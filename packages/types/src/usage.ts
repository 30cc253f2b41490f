/**
 * Token usage of one model call. A field the provider did not report stays undefined, so
 * "0 cached tokens" and "not reported" stay different.
 */
export interface Usage {
  /**
   * All prompt tokens, cache reads and writes included. OpenAI (prompt_tokens, input_tokens)
   * and Gemini (promptTokenCount) report it this way; Anthropic reports input_tokens without
   * the cache, so its adapter adds cache_read_input_tokens and cache_creation_input_tokens.
   */
  inputTokens?: number;
  /**
   * All generated tokens, reasoning included (what output is billed on). OpenAI and Anthropic
   * report it this way; Gemini's candidatesTokenCount leaves thoughts out, so its adapter adds
   * thoughtsTokenCount.
   */
  outputTokens?: number;
  totalTokens?: number;
  /** Prompt tokens read from the provider's cache (a subset of inputTokens). */
  cacheReadTokens?: number;
  /** Prompt tokens written to the provider's cache (a subset of inputTokens). */
  cacheWriteTokens?: number;
  /** Reasoning/thinking tokens (a subset of outputTokens). */
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
