import { describe, expect, it } from 'vitest';
import { addCost, embeddingUsage, pricesKnown, promptCostOf } from '../src/catalog/cost.js';
import { costOf, costOptionsFor, findModel, withCost } from '../src/catalog/index.js';

const prices = { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 2.5 };

describe('costOf', () => {
  it('prices input and output per million tokens', () => {
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 0 }, prices)).toBe(2);
    expect(costOf({ inputTokens: 0, outputTokens: 1_000_000 }, prices)).toBe(8);
    expect(costOf({ inputTokens: 1_500, outputTokens: 500 }, prices)).toBeCloseTo(
      (1_500 * 2 + 500 * 8) / 1e6,
      12,
    );
  });

  it('charges cache reads and writes at their own prices, out of the input count (normalised Usage)', () => {
    // 10,000 prompt tokens of which 6,000 read from the cache and 1,000 written to it.
    const usage = {
      inputTokens: 10_000,
      cacheReadTokens: 6_000,
      cacheWriteTokens: 1_000,
      outputTokens: 2_000,
    };
    const expected = (3_000 * 2 + 6_000 * 0.5 + 1_000 * 2.5 + 2_000 * 8) / 1e6;
    expect(costOf(usage, prices)).toBeCloseTo(expected, 12);
  });

  it('adds cache tokens on top when inputTokens excludes them (Anthropic raw input_tokens)', () => {
    const usage = {
      inputTokens: 3_000,
      cacheReadTokens: 6_000,
      cacheWriteTokens: 1_000,
      outputTokens: 2_000,
    };
    const expected = (3_000 * 2 + 6_000 * 0.5 + 1_000 * 2.5 + 2_000 * 8) / 1e6;
    expect(costOf(usage, prices, { inputIncludesCache: false })).toBeCloseTo(expected, 12);
    // The same numbers read as "inputs include cache" would undercount: they differ.
    expect(costOf(usage, prices)).not.toBeCloseTo(expected, 12);
  });

  it('bills reasoning as output: inside outputTokens normally, added when reported beside it', () => {
    // Normalised Usage (every adapter, Gemini's included): reasoning is already in outputTokens.
    const usage = { inputTokens: 1_000, outputTokens: 500, reasoningTokens: 400 };
    expect(costOf(usage, prices, costOptionsFor('gemini'))).toBeCloseTo((1_000 * 2 + 500 * 8) / 1e6, 12);
    // Raw Gemini counts (candidatesTokenCount 100, thoughtsTokenCount 400) say so explicitly.
    const raw = { inputTokens: 1_000, outputTokens: 100, reasoningTokens: 400 };
    expect(costOf(raw, prices, { outputIncludesReasoning: false })).toBeCloseTo(
      (1_000 * 2 + 500 * 8) / 1e6,
      12,
    );
    expect(costOptionsFor('anthropic')).toEqual({ inputIncludesCache: true, outputIncludesReasoning: true });
  });

  it('charges cache tokens at the input price when the model has no cache price', () => {
    const usage = { inputTokens: 1_000, cacheReadTokens: 400, cacheWriteTokens: 100, outputTokens: 0 };
    expect(costOf(usage, { input: 1, output: 4 })).toBeCloseTo(1_000 / 1e6, 12);
  });

  it('never goes negative when cache counts exceed the input count', () => {
    expect(costOf({ inputTokens: 10, cacheReadTokens: 50, outputTokens: 0 }, prices)).toBeCloseTo(
      (50 * 0.5) / 1e6,
      12,
    );
  });

  it('is undefined when prices or token counts are unknown', () => {
    expect(costOf({ inputTokens: 100, outputTokens: 10 }, undefined)).toBeUndefined();
    expect(costOf({ inputTokens: 100, outputTokens: 10 }, { input: 1 })).toBeUndefined();
    expect(costOf({ inputTokens: 100, outputTokens: 10 }, { output: 1 })).toBeUndefined();
    expect(costOf({}, prices)).toBeUndefined();
    expect(costOf({ reasoningTokens: 5 }, prices)).toBeUndefined();
    expect(costOf({ outputTokens: 1_000_000 }, prices)).toBe(8);
  });

  it('uses catalog prices: gpt-4o-mini and a cached Claude call', () => {
    const mini = findModel('openai', 'gpt-4o-mini')!.prices;
    // 0.15 $/M in, 0.6 $/M out
    expect(costOf({ inputTokens: 2_000_000, outputTokens: 1_000_000 }, mini)).toBeCloseTo(0.9, 12);
    const sonnet = findModel('anthropic', 'claude-sonnet-4-20250514')!.prices;
    // in 3, out 15, cache read 0.3, cache write 3.75
    const usage = {
      inputTokens: 1_300_000,
      cacheReadTokens: 1_000_000,
      cacheWriteTokens: 200_000,
      outputTokens: 100_000,
    };
    expect(costOf(usage, sonnet)).toBeCloseTo(0.3 + 0.3 + 0.75 + 1.5, 12);
  });

  it('withCost fills costUsd only when unset and computable', () => {
    expect(withCost({ inputTokens: 1_000_000, outputTokens: 0 }, prices).costUsd).toBe(2);
    expect(withCost({ inputTokens: 1, costUsd: 42 }, prices).costUsd).toBe(42);
    const unknown = { inputTokens: 1 };
    expect(withCost(unknown, undefined)).toBe(unknown);
  });

  it('prices embeddings, a prompt floor and totals in the same module as chat calls', () => {
    // Reported tokens at the list price; unreported ones estimated at 4 characters a token.
    expect(embeddingUsage('text-embedding-3-small', ['x'], 1_000_000)).toEqual({
      inputTokens: 1_000_000,
      costUsd: 0.02,
    });
    expect(embeddingUsage('models/gemini-embedding-001', ['abcdefgh', 'a'])).toEqual({
      inputTokens: 3,
      costUsd: (3 * 0.15) / 1_000_000,
    });
    // A local server's model: tokens only.
    expect(embeddingUsage('nomic-embed-text', ['abcd'])).toEqual({ inputTokens: 1 });
    expect(promptCostOf(500_000, prices)).toBe(1);
    expect(promptCostOf(500_000, { output: 8 })).toBeUndefined();
    expect(pricesKnown(prices)).toBe(true);
    expect(pricesKnown({ input: 1 })).toBe(false);
    expect(addCost(0.5, 0.25)).toBe(0.75);
    expect(addCost(0.5, null)).toBeNull();
    expect(addCost(null, 0.25)).toBeNull();
  });
});
