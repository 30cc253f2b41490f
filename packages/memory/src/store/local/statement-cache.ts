/**
 * Prepared statements of one connection, kept by SQL text so a hot statement is prepared once.
 *
 * Why: preparing is the most expensive step of a short statement (measured: half of a
 * persistence-on kernel turn went to `prepare` when @libsql/client prepared on every execute).
 * Bounded (least recently used goes first) because SQL built from input, such as a session
 * filter's WHERE clause, would otherwise keep a native statement alive per variant. A dropped
 * statement is finalized by the binding when garbage-collected.
 *
 * SQLite re-prepares a cached statement by itself after a schema change (sqlite3_prepare_v2),
 * so entries stay valid across migrations. Their result columns are kept too (resultColumns).
 */
import type Database from 'libsql';

export type Connection = InstanceType<typeof Database>;
type Statement = ReturnType<Connection['prepare']>;

export type ResultColumns = ReadonlyArray<{ name: string; type: string | null }>;

export interface CachedStatement {
  readonly statement: Statement;
  /** True when the statement yields rows (a SELECT, or a write with RETURNING). */
  readonly returnsRows: boolean;
  /** The columns last read from the binding (resultColumns). */
  columns?: ResultColumns;
}

/**
 * `entry`'s result columns, after a run that gave rows of `width` values.
 *
 * Why kept: the binding's `columns()` looks up each column's name, table and declared type at
 * every call, and measured dearer than running a short SELECT itself (~9 vs ~5 us for 8
 * columns), on every row-returning statement of a turn. They are read after the first run (a
 * statement SQLite re-prepared for a new schema reports the new ones) and again whenever a run
 * gives rows of another width. A statement whose SQL has a `*` (`SELECT *`, `RETURNING *`)
 * reads them after every run: only there can a schema change alter the list while the SQL text
 * stays the same (explicit columns keep their names and count; a renamed column would not
 * prepare at all).
 */
export function resultColumns(entry: CachedStatement, sql: string, width: number | undefined): ResultColumns {
  const kept = entry.columns;
  if (kept !== undefined && (width === undefined || width === kept.length)) return kept;
  const columns = entry.statement.columns() as ResultColumns;
  if (!sql.includes('*')) entry.columns = columns;
  return columns;
}

/** How many statements a connection keeps: the package has well under a hundred hot ones. */
export const STATEMENT_CACHE_SIZE = 256;

function prepare(connection: Connection, sql: string): CachedStatement {
  const statement = connection.prepare(sql);
  // Integers come back as bigint and are narrowed by the caller (no silent precision loss).
  statement.safeIntegers(true);
  // Rows as arrays: column names are attached once per row by the caller. `raw` throws for a
  // statement without result columns, which is how the binding tells writes from reads.
  let returnsRows = true;
  try {
    statement.raw(true);
  } catch {
    returnsRows = false;
  }
  return { statement, returnsRows };
}

export class StatementCache {
  readonly #connection: Connection;
  readonly #capacity: number;
  // A Map iterates in insertion order; re-inserting on use makes the first key the least recent.
  readonly #entries = new Map<string, CachedStatement>();

  constructor(connection: Connection, capacity: number = STATEMENT_CACHE_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`statement cache capacity must be a positive integer, got ${capacity}`);
    }
    this.#connection = connection;
    this.#capacity = capacity;
  }

  /** The prepared statement for `sql`, preparing it on first use (errors are the binding's). */
  get(sql: string): CachedStatement {
    const cached = this.#entries.get(sql);
    if (cached !== undefined) {
      this.#entries.delete(sql);
      this.#entries.set(sql, cached);
      return cached;
    }
    const entry = prepare(this.#connection, sql);
    this.#entries.set(sql, entry);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return entry;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every statement (the connection is closing). */
  clear(): void {
    this.#entries.clear();
  }
}
