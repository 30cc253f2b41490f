/**
 * The libSQL UsageStore over the kernel database's usage_log table (the embedded default of the
 * contract in @oxydra/types). Reports group and sum in SQL: a year of rows is never loaded.
 */
import type {
  StoredUsage,
  UsageGroup,
  UsageGroupTotals,
  UsageQuery,
  UsageStore,
  UsageTotals,
} from '@oxydra/types';
import { atomically, type KernelDb } from '../kernel-db.js';
import { RowInserter } from './row-inserter.js';

const KEY_SQL: Record<UsageGroup, string> = {
  day: "strftime('%Y-%m-%d', ts / 1000, 'unixepoch')",
  agent: "COALESCE(agent_name, '(' || kind || ')')",
  model: "COALESCE(provider || '/', '') || COALESCE(model, '(unknown)')",
  user: 'user_id',
  session: "COALESCE(session_id, '(none)')",
};

const SUMS = `COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),
  COALESCE(SUM(cache_read_tokens), 0), TOTAL(cost_usd), COALESCE(SUM(cost_usd IS NULL), 0)`;

type SumRow = [number, number, number, number, number, number];

const totalsOf = (row: SumRow): UsageTotals => ({
  calls: Number(row[0]),
  inputTokens: Number(row[1]),
  outputTokens: Number(row[2]),
  cacheReadTokens: Number(row[3]),
  costUsd: row[4],
  unknownCostCalls: Number(row[5]),
});

export class LibsqlUsageStore implements UsageStore<'sync'> {
  readonly #db: KernelDb;
  readonly #sql;

  constructor(db: KernelDb) {
    this.#db = db;
    this.#sql = {
      insert: new RowInserter(
        db,
        `usage_log (ts, kind, agent_id, agent_name, user_id, session_id, provider, model,
           input_tokens, output_tokens, cache_read_tokens, cost_usd)`,
        12,
      ),
      pruneOld: db.prepare('DELETE FROM usage_log WHERE ts < ?'),
      pruneExtra: db.prepare('DELETE FROM usage_log WHERE id <= (SELECT MAX(id) FROM usage_log) - ?'),
    };
  }

  insert(rows: readonly StoredUsage[]): void {
    atomically(this.#db, () => {
      this.#sql.insert.insert(
        rows.map((row) => [
          row.ts,
          row.kind,
          row.agentId,
          row.agentName,
          row.userId,
          row.sessionId,
          row.provider,
          row.model,
          row.inputTokens,
          row.outputTokens,
          row.cacheReadTokens,
          row.costUsd,
        ]),
      );
    });
  }

  prune(before: number, keep: number): number {
    return atomically(this.#db, () => {
      const old = this.#sql.pruneOld.run(before).changes;
      const extra = this.#sql.pruneExtra.run(keep).changes;
      return Number(old) + Number(extra);
    });
  }

  report(query: UsageQuery): { rows: UsageGroupTotals[]; totals: UsageTotals } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.since !== undefined) {
      where.push('ts >= ?');
      params.push(query.since);
    }
    if (query.until !== undefined) {
      where.push('ts < ?');
      params.push(query.until);
    }
    if (query.userId !== undefined) {
      where.push('user_id = ?');
      params.push(query.userId);
    }
    const key = KEY_SQL[query.by];
    if (key === undefined) throw new Error(`no usage group ${JSON.stringify(query.by)}`);
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const order = query.by === 'day' ? 'key ASC' : '6 DESC, 2 DESC, key ASC';
    const grouped = this.#db
      .prepare(`SELECT ${key} AS key, ${SUMS} FROM usage_log ${filter} GROUP BY key ORDER BY ${order}`)
      .raw(true)
      .all(...params) as [string, ...SumRow][];
    const total = this.#db
      .prepare(`SELECT ${SUMS} FROM usage_log ${filter}`)
      .raw(true)
      .get(...params) as SumRow;
    return {
      rows: grouped.map(([groupKey, ...sums]) => ({ key: groupKey, ...totalsOf(sums) })),
      totals: totalsOf(total),
    };
  }
}
