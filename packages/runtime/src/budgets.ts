/**
 * The run's budgets: model calls, dollars, wall time, and (below) a call failing over and over.
 *
 * Dollars: before each call the cheapest it could be (its prompt tokens at the input price) must
 * fit in what is left, so a call that cannot be afforded is never made; after each call its real
 * cost (usage.costUsd, from the catalog's prices) is added, and a run that crossed the limit does
 * not go on (no more tools, no more calls). A final answer that crosses it still completes: the
 * money is spent and nothing more would be. When max_cost is set but the model's prices are
 * unknown the run fails at once with config_error: an unenforceable cap must not look enforced.
 */
import { type ModelInfo, pricesKnown, promptCostOf, withCost } from '@oxydra/provider/core';
import {
  addUsage,
  BudgetExceeded,
  ConfigError,
  type ToolCall,
  type ToolOutcome,
  type Usage,
} from '@oxydra/types';
import { type Clock, formatDuration } from './deadline.js';
import type { BudgetLedger, RunBudgets } from './types.js';

// The rule of a dollar limit, shared by every budget that holds one: a run's max_cost (below),
// and in the kernel an agent's cascading account and the persistent daily and monthly caps
// (kernel/src/services/budgets/). It lives in the runtime because the runtime is the lowest layer
// that decides on money; the kernel's budgets ask it rather than repeat it. Prices and the
// arithmetic of costs are the provider's (catalog/cost.ts). It shares this file with the run's
// budgets rather than having its own because every `oxydra run` loads it: one module fewer.

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

/**
 * The error for a dollar limit this model's (unknown) prices cannot enforce, or undefined.
 * Exported so a command can refuse it before it creates a session or calls anything.
 */
export function unenforceableCostLimit(
  maxCostUsd: number | undefined,
  model: ModelInfo,
  providerName: string,
  /** The setting the cap comes from, named in the error (runtime.max_cost, scheduler.max_cost...). */
  source = 'runtime.max_cost',
): ConfigError | undefined {
  if (maxCostUsd === undefined || pricesKnown(model.prices)) return undefined;
  return new ConfigError(
    `${source} is set (${formatUsd(maxCostUsd)}) but the prices of model "${model.id}" ` +
      `(provider "${providerName}") are unknown, so its cost cannot be tracked`,
    { keyPath: source },
    {
      hint: `a server that costs nothing (your own local model): set free = true on [providers.registry.${providerName}]; one that bills you: set catalog_provider on that entry so catalog prices apply, or unset ${source}`,
    },
  );
}

export class RunBudget {
  private calls = 0;
  private totalUsage: Usage = {};
  /** What the calls cost; unknown once a call's cost could not be computed. */
  readonly #spent = new CostTally();
  private readonly startedAt: number;

  constructor(
    private readonly limits: RunBudgets,
    private readonly model: ModelInfo,
    private readonly clock: Clock,
    private readonly ledger?: BudgetLedger,
  ) {
    this.startedAt = clock.now();
  }

  get turns(): number {
    return this.calls;
  }

  get usage(): Usage {
    return this.totalUsage;
  }

  /**
   * What the run cost, or null when some of it is not known: a call reported no cost and the
   * model has no prices, or (for an unpriced model) a call ended before reporting usage at all
   * (failed, cancelled), which a completed run of the same model would also call unknown.
   */
  get costUsd(): number | null {
    if (this.#spent.unknown) return null;
    if (this.calls > 0 && this.model.prices === undefined) return null;
    return this.#spent.usd;
  }

  /** Fails when max_cost is set but cannot be enforced for this model. */
  checkPricing(providerName: string): void {
    const error = unenforceableCostLimit(this.limits.maxCostUsd, this.model, providerName);
    if (error) throw error;
  }

  /** Turns and wall time: checked before a call and before the run goes on after one. */
  checkLimits(): void {
    this.checkTurns();
    this.checkWallTime();
    this.ledger?.check();
  }

  /** Before a model call: the cheapest it could cost (its prompt at the input price) must fit. */
  checkAffordable(promptTokens: number, exactTokens?: () => number): void {
    const { maxCostUsd } = this.limits;
    let minimum = promptCostOf(promptTokens, this.model.prices);
    if (minimum === undefined) return;
    if (maxCostUsd === undefined) {
      this.ledger?.check(minimum);
      return;
    }
    // An upper-bound estimate that does not fit is counted exactly before refusing the call.
    if (this.#overWith(maxCostUsd, minimum) && exactTokens) {
      promptTokens = exactTokens();
      minimum = promptCostOf(promptTokens, this.model.prices) ?? 0;
    }
    if (this.#overWith(maxCostUsd, minimum)) {
      throw new BudgetExceeded(
        'cost',
        maxCostUsd,
        this.#spent.usd,
        `cost budget exhausted: ${formatUsd(this.#spent.usd)} of ${formatUsd(maxCostUsd)} spent, and the ` +
          `next call needs at least ${formatUsd(minimum)} (about ${promptTokens} prompt tokens)`,
      );
    }
    this.ledger?.check(minimum);
  }

  /** Spent (what is known of it) and `next` together pass `limit`. */
  #overWith(limit: number, next: number): boolean {
    return costLimitVerdict(limit, { usd: this.#spent.usd }, next) === 'over';
  }

  /** A model call is starting; returns its 1-based number. */
  async startCall(): Promise<number> {
    // A shared ledger may reserve against stored caps first (a round trip to its store).
    await this.ledger?.countCall();
    this.calls += 1;
    return this.calls;
  }

  /**
   * Adds a finished (or interrupted) call's usage; fills in costUsd from the model's prices when
   * the provider did not (a bare adapter, without createProvider's cost wrapper).
   */
  recordUsage(usage: Usage): Usage {
    const priced = this.price(usage);
    this.ledger?.charge(priced);
    this.totalUsage = addUsage(this.totalUsage, priced);
    this.#spent.add(priced.costUsd);
    return priced;
  }

  /** `usage` with costUsd filled in from the model's prices when it is unset and computable. */
  price(usage: Usage): Usage {
    return withCost(usage, this.model.prices);
  }

  /** Before the run goes on after a call (tools, steering, a follow-up). */
  beforeContinuing(): void {
    this.checkLimits();
    const { maxCostUsd } = this.limits;
    if (maxCostUsd === undefined) return;
    const verdict = costLimitVerdict(maxCostUsd, this.#spent);
    if (verdict === 'unknown') {
      throw new BudgetExceeded(
        'cost',
        maxCostUsd,
        this.#spent.usd,
        `cost budget cannot be enforced: call ${this.calls} reported no token usage, so its cost is ` +
          `unknown (max_cost ${formatUsd(maxCostUsd)})`,
      );
    }
    if (verdict === 'over') {
      throw new BudgetExceeded(
        'cost',
        maxCostUsd,
        this.#spent.usd,
        `cost budget exceeded: ${formatUsd(this.#spent.usd)} spent of ${formatUsd(maxCostUsd)} after ${this.calls} model calls`,
      );
    }
  }

  /** The error the wall-time watchdog aborts the run with. */
  wallTimeExceeded(): BudgetExceeded {
    const limit = this.limits.maxWallMs ?? 0;
    const used = this.clock.now() - this.startedAt;
    return new BudgetExceeded(
      'wall_time',
      limit,
      used,
      `wall time budget exhausted: the run took ${formatDuration(used)} of ${formatDuration(limit)} allowed`,
    );
  }

  private checkTurns(): void {
    const { maxTurns } = this.limits;
    if (this.calls >= maxTurns) {
      throw new BudgetExceeded(
        'turns',
        maxTurns,
        this.calls,
        `turn budget exhausted: ${this.calls} of ${maxTurns} model calls used`,
      );
    }
  }

  private checkWallTime(): void {
    const { maxWallMs } = this.limits;
    if (maxWallMs !== undefined && this.clock.now() - this.startedAt >= maxWallMs) {
      throw this.wallTimeExceeded();
    }
  }
}

/**
 * Stops a model that keeps making the same failing call. Failures go back to the model so it can
 * correct itself; the same tool with the same arguments failing again and again means it is not
 * correcting, and every further attempt costs a model call.
 */
export const REPEATED_FAILURE_LIMIT = 3;

/** JSON with object keys sorted, so {a,b} and {b,a} are the same call. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** The identity of a call: its tool and its arguments (the raw text when they did not parse). */
function callKey(call: ToolCall, parseError?: string): string {
  const args = parseError !== undefined ? JSON.stringify(call.rawArguments ?? '') : canonical(call.arguments);
  return `${call.name} ${args}`;
}

export class RepeatedFailureGuard {
  private readonly failures = new Map<string, number>();

  constructor(private readonly limit = REPEATED_FAILURE_LIMIT) {}

  /** Counts the batch's failures; throws once any one call has failed `limit` times in the run. */
  record(
    calls: readonly ToolCall[],
    outcomes: readonly ToolOutcome[],
    parseErrors: ReadonlyMap<string, string>,
  ): void {
    calls.forEach((call, index) => {
      const outcome = outcomes[index];
      if (!outcome?.isError) return;
      const key = callKey(call, parseErrors.get(call.id));
      const count = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, count);
      if (count >= this.limit) {
        throw new BudgetExceeded(
          'repeated_failure',
          this.limit,
          count,
          `stopped: the same tool call failed ${count} times (${truncate(key, 160)}); last error: ${truncate(outcome.content, 200)}`,
        );
      }
    });
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
