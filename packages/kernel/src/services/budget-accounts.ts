/**
 * Budgets that cascade: each turn of an agent has an account, linked to its parent's. A call is
 * charged to the account and every ancestor's, and checked against all of their limits, so a
 * sub-agent's turns and dollars count against its parent's max_turns and max_cost, and a parent
 * whose limit is used up stops its children at their next call.
 */
import type { BudgetLedger } from '@oxydra/runtime';
import { addUsage, BudgetExceeded, type Usage } from '@oxydra/types';
import type { Cap } from './budgets/caps.js';
import type { Reservation, SpendingLedger } from './budgets/spending.js';

/**
 * The persistent caps of an account's calls: reserved before each call, settled after it.
 * `caps` is asked at each call, so a cap changed with `oxydra budget set` applies at once.
 */
export interface SpendingCaps {
  ledger: SpendingLedger;
  caps: () => Cap[];
  /** The scopes a call is charged to: its user's and its agent's. */
  scopes: string[];
  /** Reserved when the call's price cannot be estimated. */
  minimumUsd: number;
}

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
  #estimateUsd = 0;
  #reservation: Reservation | undefined;

  constructor(
    /** Whose limits these are, for messages ("agent researcher"). */
    readonly owner: string,
    readonly limits: AccountLimits,
    readonly parent?: BudgetAccount,
    readonly spending?: SpendingCaps,
  ) {}

  countCall(): void {
    if (this.spending) {
      // A call that failed without usage left its reservation: it cost nothing we know of.
      this.releaseReservation();
      const { ledger, caps, scopes, minimumUsd } = this.spending;
      this.#reservation = ledger.reserve(caps(), scopes, Math.max(this.#estimateUsd, minimumUsd));
      this.#estimateUsd = 0;
    }
    for (let account: BudgetAccount | undefined = this; account; account = account.parent) account.turns += 1;
  }

  /** Returns an unsettled reservation (the turn ended, or its call failed without usage). */
  releaseReservation(): void {
    if (this.#reservation) this.spending?.ledger.release(this.#reservation);
    this.#reservation = undefined;
  }

  charge(usage: Usage): void {
    if (this.spending) {
      const { ledger, scopes } = this.spending;
      const reservation = this.#reservation ?? ledger.reserve([], scopes, 0);
      this.#reservation = undefined;
      ledger.settle(reservation, {
        usd: usage.costUsd,
        tokens: (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0),
      });
    }
    this.#addUp(usage);
  }

  #addUp(usage: Usage): void {
    for (let account: BudgetAccount | undefined = this; account; account = account.parent) {
      account.usage = addUsage(account.usage, usage);
      if (usage.costUsd === undefined) account.costUnknown = true;
      else account.costUsd += usage.costUsd;
    }
  }

  /**
   * A model call made for the agent beside its turns (the summary model's): checked against
   * the limits and reserved against the caps like a turn's call, then charged to this account
   * and its ancestors. It is not a turn: max_turns is not counted. A refusal or failure throws,
   * and the caller (the rolling summary) falls back to what costs nothing.
   */
  async sideCall(call: () => Promise<{ text: string; usage: Usage }>): Promise<string> {
    this.check();
    let reservation: Reservation | undefined;
    if (this.spending) {
      const { ledger, caps, scopes, minimumUsd } = this.spending;
      reservation = ledger.reserve(caps(), scopes, minimumUsd);
    }
    let answer: { text: string; usage: Usage };
    try {
      answer = await call();
    } catch (error) {
      if (reservation) this.spending?.ledger.release(reservation);
      throw error;
    }
    if (reservation) {
      const { usage } = answer;
      this.spending!.ledger.settle(reservation, {
        usd: usage.costUsd,
        tokens: (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0),
      });
    }
    this.#addUp(answer.usage);
    return answer.text;
  }

  check(nextCallUsd = 0): void {
    this.#estimateUsd = Math.max(this.#estimateUsd, nextCallUsd);
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
