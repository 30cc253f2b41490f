/**
 * Budgets that cascade: each turn of an agent has an account, linked to its parent's. A call is
 * charged to the account and every ancestor's, and checked against all of their limits, so a
 * sub-agent's turns and dollars count against its parent's max_turns and max_cost, and a parent
 * whose limit is used up stops its children at their next call.
 */
import type { BudgetLedger } from '@oxydra/runtime';
import { addUsage, BudgetExceeded, type Usage } from '@oxydra/types';

export interface AccountLimits {
  maxTurns?: number;
  maxCostUsd?: number;
}

/** What is left of an agent's limits (checkBudget). */
export interface BudgetSnapshot {
  turns: { used: number; limit?: number; remaining?: number };
  costUsd: { used: number | null; limit?: number; remaining?: number };
  usage: Usage;
}

const usd = (amount: number) => `$${amount < 0.01 ? amount.toFixed(6) : amount.toFixed(4)}`;

export class BudgetAccount implements BudgetLedger {
  turns = 0;
  costUsd = 0;
  costUnknown = false;
  usage: Usage = {};

  constructor(
    /** Whose limits these are, for messages ("agent researcher"). */
    readonly owner: string,
    readonly limits: AccountLimits,
    readonly parent?: BudgetAccount,
  ) {}

  countCall(): void {
    for (let account: BudgetAccount | undefined = this; account; account = account.parent) account.turns += 1;
  }

  charge(usage: Usage): void {
    for (let account: BudgetAccount | undefined = this; account; account = account.parent) {
      account.usage = addUsage(account.usage, usage);
      if (usage.costUsd === undefined) account.costUnknown = true;
      else account.costUsd += usage.costUsd;
    }
  }

  check(nextCallUsd = 0): void {
    for (let account: BudgetAccount | undefined = this; account; account = account.parent) {
      account.#checkOwn(nextCallUsd, account !== this);
    }
  }

  snapshot(): BudgetSnapshot {
    const { maxTurns, maxCostUsd } = this.limits;
    return {
      turns: {
        used: this.turns,
        ...(maxTurns !== undefined ? { limit: maxTurns, remaining: Math.max(0, maxTurns - this.turns) } : {}),
      },
      costUsd: {
        used: this.costUnknown ? null : this.costUsd,
        ...(maxCostUsd !== undefined
          ? { limit: maxCostUsd, remaining: Math.max(0, maxCostUsd - this.costUsd) }
          : {}),
      },
      usage: this.usage,
    };
  }

  #checkOwn(nextCallUsd: number, inherited: boolean): void {
    const { maxTurns, maxCostUsd } = this.limits;
    const whose = inherited
      ? `${this.owner}'s budget (shared with its sub-agents)`
      : `${this.owner}'s budget (with its sub-agents)`;
    if (maxTurns !== undefined && this.turns >= maxTurns) {
      throw new BudgetExceeded(
        'turns',
        maxTurns,
        this.turns,
        `turn budget exhausted: ${whose}: ${this.turns} of ${maxTurns} model calls used`,
      );
    }
    if (maxCostUsd === undefined) return;
    if (this.costUnknown) {
      throw new BudgetExceeded(
        'cost',
        maxCostUsd,
        this.costUsd,
        `cost budget cannot be enforced: ${whose}: a call's cost is unknown (max_cost ${usd(maxCostUsd)})`,
      );
    }
    if (this.costUsd + nextCallUsd > maxCostUsd) {
      throw new BudgetExceeded(
        'cost',
        maxCostUsd,
        this.costUsd,
        `cost budget exhausted: ${whose}: ${usd(this.costUsd)} of ${usd(maxCostUsd)} spent${nextCallUsd > 0 ? `, and the next call needs at least ${usd(nextCallUsd)}` : ''}`,
      );
    }
  }
}
