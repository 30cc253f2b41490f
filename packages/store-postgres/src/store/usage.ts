/**
 * The PostgreSQL UsageStore: one row per priced call, reported grouped by UTC day, agent, model,
 * user or session. Reports group and sum in SQL, with the libSQL store's keys and order.
 */
import type {
  StoredUsage,
  UsageGroup,
  UsageGroupTotals,
  UsageQuery,
  UsageStore,
  UsageTotals,
} from '@oxydra/types';
import type { PgDatabase } from './database.js';

const KEY_SQL: Record<UsageGroup, string> = {
  day: `to_char(to_timestamp(ts / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  agent: `COALESCE(agent_name, '(' || kind || ')')`,
  model: `COALESCE(provider || '/', '') || COALESCE(model, '(unknown)')`,
  user: 'user_id',
  session: `COALESCE(session_id, '(none)')`,
};

const SUMS = `count(*) AS calls, COALESCE(sum(input_tokens), 0) AS input_tokens,
  COALESCE(sum(output_tokens), 0) AS output_tokens, COALESCE(sum(cache_read_tokens), 0) AS cache_read_tokens,
  COALESCE(sum(cost_usd), 0) AS cost_usd, count(*) FILTER (WHERE cost_usd IS NULL) AS unknown_cost_calls`;

interface SumRow {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
  unknown_cost_calls: number;
}

const totalsOf = (row: SumRow): UsageTotals => ({
  calls: row.calls,
  inputTokens: row.input_tokens,
  outputTokens: row.output_tokens,
  cacheReadTokens: row.cache_read_tokens,
  costUsd: row.cost_usd,
  unknownCostCalls: row.unknown_cost_calls,
});

export class PostgresUsageStore implements UsageStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async insert(rows: readonly StoredUsage[]): Promise<void> {
    if (rows.length === 0) return;
    const column = <K extends keyof StoredUsage>(key: K) => rows.map((row) => row[key]);
    await this.#db.run(
      (sql) =>
        sql.query(
          `INSERT INTO usage_log (ts, kind, agent_id, agent_name, user_id, session_id, provider, model,
           input_tokens, output_tokens, cache_read_tokens, cost_usd)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
           $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], $12::float8[])`,
          [
            column('ts'),
            column('kind'),
            column('agentId'),
            column('agentName'),
            column('userId'),
            column('sessionId'),
            column('provider'),
            column('model'),
            column('inputTokens'),
            column('outputTokens'),
            column('cacheReadTokens'),
            column('costUsd'),
          ],
        ),
      // Accounting, committed without waiting for the WAL flush (database.ts, docs/postgres.md).
      'relaxed',
    );
  }

  async prune(before: number, keep: number): Promise<number> {
    return this.#db.atomic(async (sql) => {
      const old = await sql.query('DELETE FROM usage_log WHERE ts < $1', [before]);
      const extra = await sql.query(
        'DELETE FROM usage_log WHERE id <= (SELECT max(id) FROM usage_log) - $1',
        [keep],
      );
      return (old.rowCount ?? 0) + (extra.rowCount ?? 0);
    });
  }

  async report(query: UsageQuery): Promise<{ rows: UsageGroupTotals[]; totals: UsageTotals }> {
    const key = KEY_SQL[query.by];
    if (key === undefined) throw new Error(`no usage group ${JSON.stringify(query.by)}`);
    const filter = `WHERE ($1::bigint IS NULL OR ts >= $1) AND ($2::bigint IS NULL OR ts < $2)
      AND ($3::text IS NULL OR user_id = $3)`;
    const args = [query.since ?? null, query.until ?? null, query.userId ?? null];
    // Output columns by name: the sums, and the key compared bytewise.
    const order = query.by === 'day' ? 'key' : 'cost_usd DESC, calls DESC, key';
    const grouped = await this.#db.run((sql) =>
      sql.query<SumRow & { key: string }>(
        `SELECT (${key}) COLLATE "C" AS key, ${SUMS} FROM usage_log ${filter} GROUP BY 1 ORDER BY ${order}`,
        args,
      ),
    );
    const total = await this.#db.run((sql) =>
      sql.query<SumRow>(`SELECT ${SUMS} FROM usage_log ${filter}`, args),
    );
    return {
      rows: grouped.rows.map((row) => ({ key: row.key, ...totalsOf(row) })),
      totals: totalsOf(total.rows[0]!),
    };
  }
}
