/**
 * The rule of a dollar limit, shared by every budget that holds one: a run's max_cost here
 * (budgets.ts), and in the kernel an agent's cascading account and the persistent daily and
 * monthly caps (kernel/src/services/budgets/). It lives in the runtime because the runtime is the
 * lowest layer that decides on money; the kernel's budgets ask it rather than repeat it. Prices
 * and the arithmetic of costs are the provider's (catalog/cost.ts).
 */

/** Dollars as budget messages show them: 6 decimals below a cent, else 4 ("$0.000021", "$1.2500"). */
export function formatUsd(amount: number): string {
  return `$${amount.toFixed(amount < 0.01 && amount > 0 ? 6 : 4)}`;
}

/**
 * Where a limit stands before spending `next` more: 'unknown' when some cost already spent is not
 * known (the limit cannot be enforced, so nothing more is spent against it), 'over' when what is
 * spent (and held by calls in progress) plus `next` passes it, else undefined. Reaching the limit
 * exactly is within it.
 */
export function costLimitVerdict(
  limit: number,
  spent: { usd: number; unknown?: boolean; reserved?: number },
  next = 0,
): 'unknown' | 'over' | undefined {
  if (spent.unknown) return 'unknown';
  return spent.usd + (spent.reserved ?? 0) + next > limit ? 'over' : undefined;
}

/** What is left of a limit (never below 0). */
export function costLeft(limit: number, spentUsd: number): number {
  return Math.max(0, limit - spentUsd);
}

/**
 * What has been spent against a limit: the known dollars, and whether any call's cost was
 * unknown (then the total is unknown too, and a limit on it cannot be enforced).
 */
export class CostTally {
  usd = 0;
  unknown = false;

  /** Adds a call's cost; undefined: its cost is not known. */
  add(costUsd: number | undefined): void {
    if (costUsd === undefined) this.unknown = true;
    else this.usd += costUsd;
  }
}
