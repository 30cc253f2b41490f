/**
 * How a run's dollar limit is made from others (services/budgets/cost-limits.ts): a scheduled
 * run gets the lower of its agent's and scheduler.max_cost, naming the one that binds, and a spec
 * run's judges share what is left.
 */
import { describe, expect, it } from 'vitest';
import { lowerCostLimit, shareOfLimit } from '../src/services/budgets/cost-limits.js';

describe('dollar limits made from others', () => {
  it("takes the lower of an agent's limit and the scheduler's, naming it (the scheduler's at a tie)", () => {
    const own = { maxCostUsd: 0.5, maxCostSource: 'agents.researcher.max_cost' };
    expect(lowerCostLimit(own, 1, 'scheduler.max_cost')).toEqual(own);
    expect(lowerCostLimit(own, 0.5, 'scheduler.max_cost')).toEqual({
      maxCostUsd: 0.5,
      maxCostSource: 'scheduler.max_cost',
    });
    expect(lowerCostLimit({}, 2, 'scheduler.max_cost')).toEqual({
      maxCostUsd: 2,
      maxCostSource: 'scheduler.max_cost',
    });
    expect(lowerCostLimit({ maxCostUsd: 0.1 }, 2, 'scheduler.max_cost').maxCostSource).toBe(
      'runtime.max_cost',
    );
  });

  it('shares what is left equally, nothing when it is spent, and no limit without one', () => {
    expect(shareOfLimit(0.9, 3)).toBeCloseTo(0.3, 12);
    expect(shareOfLimit(-0.2, 2)).toBe(0);
    expect(shareOfLimit(undefined, 2)).toBeUndefined();
  });
});
