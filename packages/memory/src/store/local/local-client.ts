/**
 * A `Client` over one synchronous libSQL connection to a local file, with every statement
 * prepared once (StatementCache, below) instead of on every execute as @libsql/client's sqlite3
 * client does. Values, rows and errors are shaped as that client shapes them (sql-values.ts),
 * so the stores cannot tell the two apart.
 *
 * It owns exactly one connection and does not order its callers: use it only behind
 * serialClient (serial-client.ts), which runs one operation at a time and lets a transaction
 * hold the turn until it settles. That is also why a transaction here is simply the same
 * connection between BEGIN and COMMIT/ROLLBACK.
 */

import { LibsqlBatchError, LibsqlError } from '@libsql/client/sqlite3';
import type Database from 'libsql';
import type {
  BatchStatement,
  Client,
  InArgs,
  InStatement,
  Replicated,
  ResultSet,
  Transaction,
  TransactionMode,
} from './client-types.js';
import {
  argsToSql,
  beginStatement,
  libsqlErrorOf,
  readResult,
  statementOf,
  writeResult,
} from './sql-values.js';

/** Opens a connection with its per-connection settings applied (busy_timeout, PRAGMAs). */
export type Connect = () => Connection;

/**
 * Whether a transaction is open on `db`; false once it is closed. libsql's own `inTransaction`
 * (0.5) aborts the whole process on a closed database (a Rust panic, exit 134), so every look
 * goes through here (scripts/check-sql-home.mjs refuses one that does not).
 */
function inOpenTransaction(db: Connection): boolean {
  return db.open && db.inTransaction;
}

class LocalConnection {
  readonly db: Connection;
  readonly #statements: StatementCache;

  constructor(db: Connection, cacheSize: number) {
    this.db = db;
    this.#statements = new StatementCache(db, cacheSize);
  }

  get cachedStatements(): number {
    return this.#statements.size;
  }

  run(stmt: BatchStatement): ResultSet {
    const { sql, args } = statementOf(stmt);
    try {
      const entry = this.#statements.get(sql);
      const bound = argsToSql(args);
      if (!entry.returnsRows) return writeResult(entry.statement.run(bound));
      const values = entry.statement.all(bound) as unknown[][];
      // Columns after the run: a statement SQLite re-prepared for a new schema reports the new ones.
      return readResult(values, resultColumns(entry, sql, values[0]?.length));
    } catch (error) {
      throw libsqlErrorOf(error);
    }
  }

  /**
   * Statements in order; a failure names its index (LibsqlBatchError), as @libsql/client does.
   * `inTransaction`: they run in one the caller opened, so a statement finding it ended (rolled
   * back) fails instead of running on its own.
   */
  runAll(stmts: readonly BatchStatement[], inTransaction = true): ResultSet[] {
    return stmts.map((stmt, index) => {
      try {
        if (inTransaction && !inOpenTransaction(this.db)) {
          throw new LibsqlBatchError('The transaction has been rolled back', index, 'TRANSACTION_CLOSED');
        }
        return this.run(stmt);
      } catch (error) {
        if (error instanceof LibsqlBatchError || !(error instanceof LibsqlError)) throw error;
        const cause = error.cause instanceof Error ? error.cause : undefined;
        throw new LibsqlBatchError(
          error.message,
          index,
          error.code,
          error.extendedCode,
          error.rawCode,
          cause,
        );
      }
    });
  }

  exec(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (error) {
      throw libsqlErrorOf(error);
    }
  }

  /** Rolls back whatever a failed operation left open, so the next caller starts clean. */
  rollbackLeftover(): void {
    if (inOpenTransaction(this.db)) this.run('ROLLBACK');
  }

  close(): void {
    this.#statements.clear();
    if (this.db.open) this.db.close();
  }
}

class LocalTransaction implements Transaction {
  #connection: LocalConnection | undefined;

  constructor(connection: LocalConnection) {
    this.#connection = connection;
  }

  #open(): LocalConnection {
    const connection = this.#connection;
    if (connection === undefined || !inOpenTransaction(connection.db)) {
      throw new LibsqlError('The transaction is closed', 'TRANSACTION_CLOSED');
    }
    return connection;
  }

  async execute(stmt: InStatement): Promise<ResultSet> {
    return this.#open().run(stmt);
  }
  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.#open().runAll(stmts);
  }
  async executeMultiple(sql: string): Promise<void> {
    this.#open().exec(sql);
  }
  async commit(): Promise<void> {
    try {
      this.#open().run('COMMIT');
    } finally {
      this.#connection = undefined;
    }
  }
  async rollback(): Promise<void> {
    this.close();
  }
  close(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    connection?.rollbackLeftover();
  }
  get closed(): boolean {
    const connection = this.#connection;
    return connection === undefined || !inOpenTransaction(connection.db);
  }
}

class LocalClient implements Client {
  readonly #connect: Connect;
  readonly #cacheSize: number;
  #connection: LocalConnection;
  closed = false;
  readonly protocol = 'file';

  constructor(connect: Connect, cacheSize: number) {
    this.#connect = connect;
    this.#cacheSize = cacheSize;
    this.#connection = new LocalConnection(connect(), cacheSize);
  }

  /** How many prepared statements the connection holds (for tests of the bound). */
  get cachedStatements(): number {
    return this.#connection.cachedStatements;
  }

  #usable(): LocalConnection {
    if (this.closed) throw new LibsqlError('The client is closed', 'CLIENT_CLOSED');
    return this.#connection;
  }

  /** `work` inside BEGIN ... COMMIT, rolled back if it fails. */
  #inTransaction<T>(mode: TransactionMode, work: (connection: LocalConnection) => T): T {
    const connection = this.#usable();
    connection.run(beginStatement(mode));
    try {
      const result = work(connection);
      connection.run('COMMIT');
      return result;
    } finally {
      connection.rollbackLeftover();
    }
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const stmt = typeof stmtOrSql === 'string' && args !== undefined ? { sql: stmtOrSql, args } : stmtOrSql;
    return this.#usable().run(stmt);
  }
  async batch(stmts: BatchStatement[], mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    // One reading statement is its own snapshot in SQLite: no BEGIN and COMMIT around it (recall
    // reads only the tombstone mark once a prompt's words are known common, every turn).
    if (stmts.length === 1 && mode === 'read') return this.#usable().runAll(stmts, false);
    return this.#inTransaction(mode, (connection) => connection.runAll(stmts));
  }
  /** As @libsql/client: foreign keys off while the statements run, so a table can be rebuilt. */
  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    const connection = this.#usable();
    connection.exec('PRAGMA foreign_keys=off');
    try {
      return this.#inTransaction('deferred', (open) => open.runAll(stmts));
    } finally {
      connection.exec('PRAGMA foreign_keys=on');
    }
  }
  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    const connection = this.#usable();
    connection.run(beginStatement(mode));
    return new LocalTransaction(connection);
  }
  async executeMultiple(sql: string): Promise<void> {
    const connection = this.#usable();
    try {
      connection.exec(sql);
    } finally {
      // As @libsql/client: a transaction the script left open does not outlive the call.
      connection.rollbackLeftover();
    }
  }
  async sync(): Promise<Replicated> {
    throw new LibsqlError('a local memory file has no replica to sync', 'SYNC_NOT_SUPPORTED');
  }
  close(): void {
    this.closed = true;
    this.#connection.close();
  }
  /** A fresh connection, with its per-connection settings applied again by `connect`. */
  reconnect(): void {
    this.#connection.close();
    this.#connection = new LocalConnection(this.#connect(), this.#cacheSize);
    this.closed = false;
  }
}

/** A client over the connection `connect` opens (and opens again on reconnect); see the file comment. */
export function localClient(
  connect: Connect,
  cacheSize: number = STATEMENT_CACHE_SIZE,
): Client & { readonly cachedStatements: number } {
  return new LocalClient(connect, cacheSize);
}

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

export type Connection = InstanceType<typeof Database>;
type Statement = ReturnType<Connection['prepare']>;

type ResultColumns = ReadonlyArray<{ name: string; type: string | null }>;

interface CachedStatement {
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
function resultColumns(entry: CachedStatement, sql: string, width: number | undefined): ResultColumns {
  const kept = entry.columns;
  if (kept !== undefined && (width === undefined || width === kept.length)) return kept;
  const columns = entry.statement.columns() as ResultColumns;
  if (!sql.includes('*')) entry.columns = columns;
  return columns;
}

/** How many statements a connection keeps: the package has well under a hundred hot ones. */
const STATEMENT_CACHE_SIZE = 256;

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

class StatementCache {
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
