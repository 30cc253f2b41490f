/**
 * How many chunks the search index holds, roughly: what decides whether a hybrid search runs its
 * two sides in one statement or on two connections at once (store.ts, docs/postgres.md). Read
 * from the statistics PostgreSQL keeps as rows are written (pg_stat_user_tables.n_live_tup, no
 * scan, no ANALYZE needed), in the background (PeriodicReading): 0 before the first reading.
 */
import type { PgDatabase } from '../database.js';
import { PeriodicReading } from './periodic-reading.js';

export function indexSize(db: PgDatabase): PeriodicReading<number> {
  return new PeriodicReading(db, 0, async (sql) => {
    const { rows } = await sql.query<{ chunks: string | null }>(
      `SELECT n_live_tup AS chunks FROM pg_stat_user_tables WHERE relid = to_regclass('search_chunks')`,
    );
    return Number(rows[0]?.chunks ?? 0);
  });
}
