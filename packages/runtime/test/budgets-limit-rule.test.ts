/**
 * The rule of a dollar limit that the run's max_cost, an agent's account and the spending caps
 * all ask (budgets.ts): reaching a limit exactly is within it, what calls in progress hold
 * counts, and an unknown cost stops everything spent against a limit.
 */
import { describe, expect, it } from 'vitest';
import { CostTally, costLeft, costLimitVerdict, formatUsd } from '../src/index.js';

describe('a dollar limit', () => {
  it('is passed only beyond it, counting what is reserved and the next call', () => {
    expect(costLimitVerdict(1, { usd: 0.75 }, 0.25)).toBeUndefined();
    expect(costLimitVerdict(1, { usd: 0.75 }, 0.26)).toBe('over');
    expect(costLimitVerdict(1, { usd: 0.5, reserved: 0.3 }, 0.25)).toBe('over');
    expect(costLimitVerdict(1, { usd: 1.01 })).toBe('over');
  });

  it('cannot be enforced once a cost is unknown, whatever is spent', () => {
    const tally = new CostTally();
    tally.add(0.1);
    expect(costLimitVerdict(1, tally)).toBeUndefined();
    tally.add(undefined);
    tally.add(0.2);
    expect(tally.usd).toBeCloseTo(0.3, 12);
    expect(costLimitVerdict(1, tally)).toBe('unknown');
  });

  it('shows what is left and dollars as budget messages do', () => {
    expect(costLeft(1, 0.25)).toBe(0.75);
    expect(costLeft(1, 2)).toBe(0);
    expect(formatUsd(0.0000021)).toBe('$0.000002');
    expect(formatUsd(1.25)).toBe('$1.2500');
    expect(formatUsd(0)).toBe('$0.0000');
  });
});
