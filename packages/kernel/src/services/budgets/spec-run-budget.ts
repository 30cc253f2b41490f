/**
 * A spec run's dollar limit (the spawn's maxCostUsd: `--max-cost`, a schedule's `max_cost`) in
 * one place. Every call the run makes is given what is left of it and spends against it: the
 * first, which turns the request into criteria, as much as the attempts and the judges after it
 * (that call once ran with no limit at all, whatever it cost).
 */
import { addCost } from '@oxydra/provider/core';
import { BudgetExceeded } from '@oxydra/types';
import type { SpawnLimits } from '../../types.js';

export class RunBudget {
  /** undefined: no limit. */
  readonly maxCostUsd: number | undefined;
  #costUsd: number | null = 0;

  constructor(maxCostUsd: number | undefined) {
    this.maxCostUsd = maxCostUsd;
  }

  /** What the run has spent; null once any call's cost was unknown. */
  get costUsd(): number | null {
    return this.#costUsd;
  }

  spend(costUsd: number | null): void {
    this.#costUsd = addCost(this.#costUsd, costUsd);
  }

  /** What is left now (undefined: no limit); at or below 0 once spent. */
  left(): number | undefined {
    return this.maxCostUsd === undefined ? undefined : this.maxCostUsd - (this.#costUsd ?? 0);
  }

  /** Why nothing more runs, once the limit is spent; undefined while some is left. */
  spentReason(): string | undefined {
    const left = this.left();
    return left !== undefined && left <= 0
      ? `the run's dollar limit (${this.maxCostUsd}) is spent`
      : undefined;
  }

  /** `fields` with their maxCostUsd set to what is left (as they are without a limit). */
  limit<T extends { limits?: { maxCostUsd?: number } }>(fields: T): T {
    const left = this.left();
    return left === undefined ? fields : { ...fields, limits: { ...fields.limits, maxCostUsd: left } };
  }

  /**
   * The limits a sub-agent of a split attempt (split.ts) is spawned with, given the run's spawn
   * limits: those, its dollar limit what is left of the run's now. Undefined without a dollar
   * limit: it then keeps its agent's configured limits. Its spending also counts against its
   * parent's (budget accounts cascade), whose limit was what was left when the attempt began, so
   * the parent and the sub-agents run one after another stay within the run's limit together.
   */
  subAgentLimits(spawn: SpawnLimits | undefined): SpawnLimits | undefined {
    const left = this.left();
    return left === undefined ? undefined : { ...spawn, maxCostUsd: left };
  }
}

/**
 * The error to stop the run with after `what` (a call of the run's own): the call's failure when
 * it was the dollar limit's (refused, or stopped over it), or the limit spent by its answer
 * (nothing is left for an attempt); undefined when the run may go on.
 */
export function budgetError(
  budget: RunBudget,
  what: string,
  error: { code: string; message: string } | undefined,
): BudgetExceeded | undefined {
  const limit = budget.maxCostUsd ?? 0;
  const spent = budget.costUsd ?? 0;
  if (error?.code === 'budget_exceeded') return new BudgetExceeded('cost', limit, spent, error.message);
  if (budget.spentReason() === undefined) return undefined;
  return new BudgetExceeded(
    'cost',
    limit,
    spent,
    `cost budget exhausted: ${what} spent $${spent.toFixed(4)} of the spec run's $${limit} limit, leaving nothing for an attempt`,
  );
}
