/**
 * A value read from the database in the background when the last reading is older than
 * MAX_AGE_MS: a search never waits for it, and uses the last reading (`initial` before the
 * first). Used for what the server's statistics say about the search index (index-size.ts,
 * common-lexemes.ts), which change slowly and cost a catalog lookup a search need not pay.
 */
import type { PgDatabase, Sql } from '../database.js';

const MAX_AGE_MS = 60_000;

export class PeriodicReading<T> {
  readonly #db: PgDatabase;
  readonly #read: (sql: Sql) => Promise<T>;
  #value: T;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading = false;

  constructor(db: PgDatabase, initial: T, read: (sql: Sql) => Promise<T>) {
    this.#db = db;
    this.#value = initial;
    this.#read = read;
  }

  /** The last reading; starts the next one when it is old (not from inside a transaction it would join). */
  value(): T {
    if (!this.#reading && !this.#db.inTransaction && Date.now() - this.#readAt >= MAX_AGE_MS) this.#start();
    return this.#value;
  }

  #start(): void {
    this.#reading = true;
    this.#readAt = Date.now();
    this.#db
      .run(this.#read)
      .then(
        (value) => {
          this.#value = value;
        },
        // A reading that failed (the pool closing) leaves the last one; the next search tries again.
        () => {},
      )
      .finally(() => {
        this.#reading = false;
      });
  }
}
