/**
 * Token counts a server reports are kept only as counts (`reportedCount`, the one rule for
 * makeUsage and sumReported, which every adapter builds its Usage with, and for embeddings): a
 * negative one is no count, a huge one is held at 2^53 so a price times it stays finite; and a
 * report with any field that is no count keeps none, so the call's cost is unknown (fail-safe).
 */
import { describe, expect, it } from 'vitest';
import { costOf } from '../src/catalog/cost.js';
import { makeUsage, reportedCount, sumReported } from '../src/shared/events.js';

describe('reported token counts', () => {
  it('drops a negative or non-numeric count and holds a huge one at 2^53', () => {
    expect(reportedCount(-1)).toBeUndefined();
    expect(reportedCount(Number.NaN)).toBeUndefined();
    expect(reportedCount('12')).toBeUndefined();
    expect(reportedCount(0)).toBe(0);
    expect(reportedCount(1e308)).toBe(Number.MAX_SAFE_INTEGER);
    expect(sumReported(5, undefined, null, 7)).toBe(12);
    expect(sumReported(undefined, null)).toBeUndefined();
    expect(sumReported(5, -1_000_000_000, 7)).toBeNaN();
    expect(sumReported(1e308, 1e308)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('gives no negative or infinite cost, whatever the server says', () => {
    const prices = { input: 15, output: 75 };
    const negative = makeUsage({ inputTokens: 10, outputTokens: -1e9, cacheReadTokens: -1e9 }, undefined);
    // Unknown, never negative: the budgets charge an unknown cost as their worst case.
    expect(costOf(negative, prices)).toBeUndefined();
    const huge = makeUsage({ inputTokens: 1e308, outputTokens: 1e308 }, undefined);
    expect(Number.isFinite(costOf(huge, prices))).toBe(true);
  });

  it('makes the cost unknown when any one count is invalid, not the other fields charged alone', () => {
    const prices = { input: 15, output: 75 };
    for (const bad of [-1, Number.NaN, '100000', -0.5, Number.NEGATIVE_INFINITY]) {
      const usage = makeUsage({ inputTokens: bad, outputTokens: 1, totalTokens: 0 }, { raw: true });
      expect(usage).toEqual({ raw: { raw: true } });
      expect(costOf(usage, prices)).toBeUndefined();
    }
    // An Anthropic-style sum with one invalid part is invalid too.
    expect(
      costOf(makeUsage({ inputTokens: sumReported(10, -5), outputTokens: 3 }, undefined), prices),
    ).toBeUndefined();
    // Missing and null fields are not reported, not invalid: the rest is charged.
    const partial = makeUsage(
      { inputTokens: 1_000_000, outputTokens: null, cacheReadTokens: undefined },
      undefined,
    );
    expect(partial).toEqual({ inputTokens: 1_000_000 });
    expect(costOf(partial, prices)).toBe(15);
  });
});
