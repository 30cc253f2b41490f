/**
 * The PostgreSQL SpendStore: spend per (scope, period), the reservations of model calls in
 * progress, and the caps. `reserve` runs in one transaction that first takes a transaction-level
 * advisory lock per (scope, period) it counts or holds (in one sorted order, so two reservers never
 * deadlock), then reads what is used, calls `admit`, and stores the reservation: two processes
 * racing for the last call under a cap queue on the lock, and the second sees the first's hold.
 */
import type { NewReservation, SpendStore, SpendTarget, SpendTotals, SpendUsed } from '@oxydra/types';
import { CapsSignal, capsChanged } from './caps-signal.js';
import type { PgDatabase, Sql } from './database.js';

/** A (scope, period) as one string (the unit separator appears in neither). */
const keyOf = ({ scope, period }: SpendTarget) => `${scope}\u001f${period}`;

/** Bytewise order, as the "C" collation and the lock order need. */
const bytewise = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface UsedRow {
  usd: number | null;
  tokens: number | null;
  calls: number | null;
  reserved_usd: number;
  reserved_calls: number;
}

async function usedOf(sql: Sql, targets: readonly SpendTarget[], now: number): Promise<SpendUsed[]> {
  if (targets.length === 0) return [];
  const { rows } = await sql.query<UsedRow & { ord: number }>(
    `SELECT t.ord, s.usd, s.tokens, s.calls,
       COALESCE((SELECT sum(r.usd) FROM budget_reservations r
                 WHERE r.scope = t.scope AND r.period = t.period AND r.expires_at > $3), 0) AS reserved_usd,
       (SELECT count(*) FROM budget_reservations r
        WHERE r.scope = t.scope AND r.period = t.period AND r.expires_at > $3) AS reserved_calls
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t (scope, period, ord)
     LEFT JOIN budget_spend s ON s.scope = t.scope AND s.period = t.period
     ORDER BY t.ord`,
    [targets.map((target) => target.scope), targets.map((target) => target.period), now],
  );
  return rows.map((row) => ({
    usd: row.usd ?? 0,
    tokens: row.tokens ?? 0,
    calls: row.calls ?? 0,
    reservedUsd: row.reserved_usd,
    reservedCalls: row.reserved_calls,
  }));
}

export class PostgresSpendStore implements SpendStore {
  readonly #db: PgDatabase;
  /** Names this database's locks apart from another schema's on the same server. */
  readonly #lockSpace: string;
  readonly #schema: string;
  /** Tells of cap changes while the process's event bus listens (caps-signal.ts). */
  readonly #caps: CapsSignal;

  constructor(db: PgDatabase, schema: string, caps = new CapsSignal()) {
    this.#db = db;
    this.#schema = schema;
    this.#lockSpace = `oxydra-spend:${schema}:`;
    this.#caps = caps;
  }

  async reserve(
    reservation: NewReservation,
    now: number,
    counted: readonly SpendTarget[],
    admit: (used: SpendUsed[]) => void,
  ): Promise<void> {
    const keys = [...new Set([...counted, ...reservation.targets].map(keyOf))].sort(bytewise);
    await this.#db.atomic(async (sql) => {
      await sql.query(
        // unnest gives the keys in the array's (sorted) order, and the locks are taken in it.
        'SELECT pg_advisory_xact_lock(hashtextextended($1 || key, 0)) FROM unnest($2::text[]) AS k (key)',
        [this.#lockSpace, keys],
      );
      await sql.query(
        `DELETE FROM budget_reservations r USING unnest($1::text[], $2::text[]) AS t (scope, period)
         WHERE r.scope = t.scope AND r.period = t.period AND r.expires_at <= $3`,
        [reservation.targets.map((t) => t.scope), reservation.targets.map((t) => t.period), now],
      );
      admit(await usedOf(sql, counted, now));
      await sql.query(
        `INSERT INTO budget_reservations (id, scope, period, usd, expires_at)
         SELECT $1, scope, period, $2, $3 FROM unnest($4::text[], $5::text[]) AS t (scope, period)`,
        [
          reservation.id,
          reservation.usd,
          reservation.expiresAt,
          reservation.targets.map((t) => t.scope),
          reservation.targets.map((t) => t.period),
        ],
      );
    });
  }

  async release(id: string): Promise<void> {
    await this.#db.run((sql) => sql.query('DELETE FROM budget_reservations WHERE id = $1', [id]));
  }

  async settle(released: readonly string[], spend: readonly SpendTotals[]): Promise<void> {
    // Rows in one sorted order: two settles touching the same totals wait, never deadlock.
    const rows = [...spend].sort((a, b) => bytewise(keyOf(a), keyOf(b)));
    await this.#db.run(
      (sql) =>
        sql.query(
          `WITH released AS (DELETE FROM budget_reservations WHERE id = ANY($1::text[]))
         INSERT INTO budget_spend (scope, period, usd, tokens, calls)
         SELECT scope, period, sum(usd), sum(tokens), sum(calls)
         FROM unnest($2::text[], $3::text[], $4::float8[], $5::bigint[], $6::bigint[])
           AS t (scope, period, usd, tokens, calls)
         GROUP BY scope, period ORDER BY scope, period
         ON CONFLICT (scope, period) DO UPDATE SET usd = budget_spend.usd + excluded.usd,
           tokens = budget_spend.tokens + excluded.tokens, calls = budget_spend.calls + excluded.calls`,
          [
            [...released],
            rows.map((row) => row.scope),
            rows.map((row) => row.period),
            rows.map((row) => row.usd),
            rows.map((row) => row.tokens),
            rows.map((row) => row.calls),
          ],
        ),
      // Accounting the next reservation reads (it does: the commit is visible at once), not
      // waiting for the WAL flush (database.ts; docs/postgres.md says what a crash may lose).
      'relaxed',
    );
  }

  async used(target: SpendTarget, now: number): Promise<SpendUsed> {
    return (await this.#db.run((sql) => usedOf(sql, [target], now)))[0]!;
  }

  async totals(periods: readonly string[], scopePrefix: string): Promise<SpendTotals[]> {
    if (periods.length === 0) return [];
    const { rows } = await this.#db.run((sql) =>
      sql.query<SpendTotals>(
        `SELECT scope, period, usd, tokens, calls FROM budget_spend
         WHERE period = ANY($1::text[]) AND starts_with(scope, $2) ORDER BY scope, period`,
        [[...periods], scopePrefix],
      ),
    );
    return rows.map((row) => ({ ...row }));
  }

  async reset(scope: string, periods: readonly string[]): Promise<number> {
    if (periods.length === 0) return 0;
    const result = await this.#db.run((sql) =>
      sql.query('DELETE FROM budget_spend WHERE scope = $1 AND period = ANY($2::text[])', [
        scope,
        [...periods],
      ]),
    );
    return result.rowCount ?? 0;
  }

  async caps(scope: string): Promise<Record<string, number>> {
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ key: string; value: number }>('SELECT key, value FROM budget_limits WHERE scope = $1', [
        scope,
      ]),
    );
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }

  watchCaps(listener: Parameters<CapsSignal['watch']>[0]): () => void {
    return this.#caps.watch(listener);
  }

  async setCap(scope: string, key: string, value: number | undefined): Promise<void> {
    // The change and the notification that drops every process's kept caps, in one statement:
    // delivered when it commits (here, or the caller's transaction), not at all if it rolls back.
    const change =
      value === undefined
        ? { text: 'DELETE FROM budget_limits WHERE scope = $3 AND key = $4', values: [scope, key] }
        : {
            text: `INSERT INTO budget_limits (scope, key, value) VALUES ($3, $4, $5)
             ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value`,
            values: [scope, key, value],
          };
    this.#caps.tell('changed');
    try {
      await this.#db.run((sql) =>
        sql.query(`WITH changed AS (${change.text}) SELECT pg_notify($1, $2)`, [
          ...capsChanged(this.#schema),
          ...change.values,
        ]),
      );
    } finally {
      // A read of this process made meanwhile saw the old value: not kept either.
      this.#caps.tell('changed');
    }
  }

  async scopesWithCaps(): Promise<string[]> {
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ scope: string }>('SELECT DISTINCT scope FROM budget_limits ORDER BY scope'),
    );
    return rows.map((row) => row.scope);
  }
}
