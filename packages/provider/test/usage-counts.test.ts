/**
 * Token counts a server reports are kept only as counts (`reportedCount`, the one rule for
 * makeUsage and sumReported, which every adapter builds its Usage with, and for embeddings): a
 * negative one is dropped, a huge one is held at 2^53 so a price times it stays finite.
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
    expect(sumReported(5, -1_000_000_000, 7)).toBe(12);
    expect(sumReported(1e308, 1e308)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('gives no negative or infinite cost, whatever the server says', () => {
    const prices = { input: 15, output: 75 };
    const negative = makeUsage({ inputTokens: 10, outputTokens: -1e9, cacheReadTokens: -1e9 }, undefined);
    expect(costOf(negative, prices)).toBeGreaterThanOrEqual(0);
    const huge = makeUsage({ inputTokens: 1e308, outputTokens: 1e308 }, undefined);
    expect(Number.isFinite(costOf(huge, prices))).toBe(true);
  });
});
