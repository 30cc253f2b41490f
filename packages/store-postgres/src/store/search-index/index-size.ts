/**
 * How many chunks the search index holds, roughly: what decides whether a hybrid search runs its
 * two sides in one statement or on two connections at once (store.ts, docs/postgres.md). Read
 * from the statistics PostgreSQL keeps as rows are written (pg_stat_user_tables.n_live_tup, no
 * scan, no ANALYZE needed), in the background when the last reading is older than MAX_AGE_MS: a
 * search never waits for it, and uses the last reading (0 before the first).
 */
import type { PgDatabase } from '../database.js';

const MAX_AGE_MS = 60_000;

export class IndexSize {
  readonly #db: PgDatabase;
  #chunks = 0;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading = false;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  /** The last reading; starts the next one when it is old (not from inside a transaction it would join). */
  chunks(): number {
    if (!this.#reading && !this.#db.inTransaction && Date.now() - this.#readAt >= MAX_AGE_MS) this.#read();
    return this.#chunks;
  }

  #read(): void {
    this.#reading = true;
    this.#readAt = Date.now();
    this.#db
      .run((sql) =>
        sql.query<{ chunks: string | null }>(
          `SELECT n_live_tup AS chunks FROM pg_stat_user_tables WHERE relid = to_regclass('search_chunks')`,
        ),
      )
      .then(
        ({ rows }) => {
          this.#chunks = Number(rows[0]?.chunks ?? 0);
        },
        // A reading that failed (the pool closing) leaves the last one; the next search tries again.
        () => {},
      )
      .finally(() => {
        this.#reading = false;
      });
  }
}
