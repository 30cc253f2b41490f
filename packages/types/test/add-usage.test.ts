/**
 * addUsage: every token field and the cost summed, a field left out only when both sides lack
 * it, in the Usage interface's order; `raw` is never carried (it is one call's own object).
 */
import { describe, expect, it } from 'vitest';
import { addUsage, type Usage } from '../src/index.js';

describe('addUsage', () => {
  it('sums every field, in order, and leaves out those both sides lack', () => {
    const full: Required<Omit<Usage, 'raw'>> = {
      inputTokens: 1,
      outputTokens: 2,
      totalTokens: 3,
      cacheReadTokens: 4,
      cacheWriteTokens: 5,
      reasoningTokens: 6,
      costUsd: 0.5,
    };
    const sum = addUsage(full, { ...full, raw: { provider: 'own' } });
    expect(sum).toEqual({
      inputTokens: 2,
      outputTokens: 4,
      totalTokens: 6,
      cacheReadTokens: 8,
      cacheWriteTokens: 10,
      reasoningTokens: 12,
      costUsd: 1,
    });
    expect(Object.keys(sum)).toEqual(Object.keys(full));
    expect(addUsage({ outputTokens: 5 }, { inputTokens: 7, costUsd: 0 })).toEqual({
      inputTokens: 7,
      outputTokens: 5,
      costUsd: 0,
    });
    expect(Object.keys(addUsage({ costUsd: 1 }, { inputTokens: 1 }))).toEqual(['inputTokens', 'costUsd']);
    expect(addUsage({}, {})).toEqual({});
  });
});
