/**
 * kernel.costs: what the usage log says was spent, grouped by UTC day, agent, model, user or
 * session, over a time range (`oxydra costs`, `GET /api/v1/costs`, the dashboard's charts).
 * Calls whose model has no known price are counted apart (unknown_cost_calls), never as $0.
 */
import { UsageError, type UsageStore, type UsageTotals } from '@oxydra/types';

export const COST_GROUPS = ['day', 'agent', 'model', 'user', 'session'] as const;
export type CostGroup = (typeof COST_GROUPS)[number];

export interface CostQuery {
  /** How rows are grouped; `day` is the UTC calendar day (YYYY-MM-DD). Default `day`. */
  by?: CostGroup;
  /** Only calls at or after this time (a Date, an ISO string, or ms since the epoch). */
  since?: Date | string | number;
  /** Only calls before this time. */
  until?: Date | string | number;
  /** Only this user's calls ("local": the terminal's). */
  userId?: string;
}

export interface CostTotals {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  /** Dollars of the calls whose price is known. */
  cost_usd: number;
  /** Calls whose cost is unknown (a model without catalog prices): not in cost_usd. */
  unknown_cost_calls: number;
}

export interface CostRow extends CostTotals {
  /**
   * The group: a UTC day (`2026-11-22`), an agent name (`default`; `(embedding)` for memory's
   * embedding requests, made for no agent), `provider/model`, a user id (`local` for the
   * terminal), or a full session id (`(none)` for calls outside a stored session).
   */
  key: string;
}

export interface CostReport {
  by: CostGroup;
  /** The range as applied (ISO), when given. */
  since?: string;
  until?: string;
  userId?: string;
  /** Days ascending; other groups by cost, then calls, descending. */
  rows: CostRow[];
  totals: CostTotals;
}

export interface CostCalls {
  report(query?: CostQuery): Promise<CostReport>;
}

function totalsOf(sums: UsageTotals): CostTotals {
  return {
    calls: sums.calls,
    input_tokens: sums.inputTokens,
    output_tokens: sums.outputTokens,
    cache_read_tokens: sums.cacheReadTokens,
    cost_usd: sums.costUsd,
    unknown_cost_calls: sums.unknownCostCalls,
  };
}

function timeOf(value: Date | string | number, name: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new UsageError(`${name}: ${JSON.stringify(String(value))} is not a date`, {
      hint: 'use an ISO date such as 2026-11-01 or 2026-11-01T09:00Z',
    });
  }
  return ms;
}

/** `beforeRead`: writes this process's rows still waiting (budgets/accounts.ts's UsageLog batches them). */
export function costCalls(usage: UsageStore, beforeRead?: () => Promise<void>): CostCalls {
  return {
    async report(query = {}) {
      const by = query.by ?? 'day';
      if (!COST_GROUPS.includes(by)) {
        throw new UsageError(`--by ${JSON.stringify(by)}: use one of ${COST_GROUPS.join(', ')}`);
      }
      const since = query.since !== undefined ? timeOf(query.since, 'since') : undefined;
      const until = query.until !== undefined ? timeOf(query.until, 'until') : undefined;
      await beforeRead?.();
      const { rows, totals } = await usage.report({
        by,
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(query.userId !== undefined ? { userId: query.userId } : {}),
      });
      return {
        by,
        ...(since !== undefined ? { since: new Date(since).toISOString() } : {}),
        ...(until !== undefined ? { until: new Date(until).toISOString() } : {}),
        ...(query.userId !== undefined ? { userId: query.userId } : {}),
        rows: rows.map(({ key, ...sums }) => ({ key, ...totalsOf(sums) })),
        totals: totalsOf(totals),
      };
    },
  };
}
