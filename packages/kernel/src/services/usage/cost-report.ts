/**
 * kernel.costs: what the usage log says was spent, grouped by UTC day, agent, model, user or
 * session, over a time range (`oxydra costs`, `GET /api/v1/costs`, the dashboard's charts).
 * Calls whose model has no known price are counted apart (unknown_cost_calls), never as $0.
 */
import { UsageError } from '@oxydra/types';
import type { KernelDb } from '../../store/kernel-db.js';

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
  report(query?: CostQuery): CostReport;
}

const KEY_SQL: Record<CostGroup, string> = {
  day: "strftime('%Y-%m-%d', ts / 1000, 'unixepoch')",
  agent: "COALESCE(agent_name, '(' || kind || ')')",
  model: "COALESCE(provider || '/', '') || COALESCE(model, '(unknown)')",
  user: 'user_id',
  session: "COALESCE(session_id, '(none)')",
};

const SUMS = `COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),
  COALESCE(SUM(cache_read_tokens), 0), TOTAL(cost_usd), COALESCE(SUM(cost_usd IS NULL), 0)`;

type SumRow = [number, number, number, number, number, number];

function totalsOf(row: SumRow): CostTotals {
  return {
    calls: row[0],
    input_tokens: row[1],
    output_tokens: row[2],
    cache_read_tokens: row[3],
    cost_usd: row[4],
    unknown_cost_calls: row[5],
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

/** `beforeRead`: writes this process's rows still waiting (usage-log.ts batches them). */
export function costCalls(db: KernelDb, beforeRead?: () => void): CostCalls {
  return {
    report(query = {}) {
      const by = query.by ?? 'day';
      if (!COST_GROUPS.includes(by)) {
        throw new UsageError(`--by ${JSON.stringify(by)}: use one of ${COST_GROUPS.join(', ')}`);
      }
      const since = query.since !== undefined ? timeOf(query.since, 'since') : undefined;
      const until = query.until !== undefined ? timeOf(query.until, 'until') : undefined;
      const where: string[] = [];
      const params: unknown[] = [];
      if (since !== undefined) {
        where.push('ts >= ?');
        params.push(since);
      }
      if (until !== undefined) {
        where.push('ts < ?');
        params.push(until);
      }
      if (query.userId !== undefined) {
        where.push('user_id = ?');
        params.push(query.userId);
      }
      beforeRead?.();
      const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const order = by === 'day' ? 'key ASC' : '6 DESC, 2 DESC, key ASC';
      const grouped = db
        .prepare(
          `SELECT ${KEY_SQL[by]} AS key, ${SUMS} FROM usage_log ${filter} GROUP BY key ORDER BY ${order}`,
        )
        .raw(true)
        .all(...params) as [string, ...SumRow][];
      const total = db
        .prepare(`SELECT ${SUMS} FROM usage_log ${filter}`)
        .raw(true)
        .get(...params) as SumRow;
      return {
        by,
        ...(since !== undefined ? { since: new Date(since).toISOString() } : {}),
        ...(until !== undefined ? { until: new Date(until).toISOString() } : {}),
        ...(query.userId !== undefined ? { userId: query.userId } : {}),
        rows: grouped.map(([key, ...sums]) => ({ key, ...totalsOf(sums) })),
        totals: totalsOf(total),
      };
    },
  };
}
