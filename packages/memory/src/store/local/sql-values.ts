/**
 * What @libsql/client promises about values, rows and errors, kept for the local connection
 * (local-client.ts) so callers see no difference: arguments converted as its "number" intMode
 * does, rows readable by index and by column name, writes reporting rowsAffected and
 * lastInsertRowid, and SQLite failures as LibsqlError with the base code in `code`
 * (SQLITE_BUSY, SQLITE_CONSTRAINT ...) that callers test.
 */
import { Buffer } from 'node:buffer';
import type { InArgs, InStatement, InValue, ResultSet, Row, TransactionMode } from '@libsql/client';
import { LibsqlError } from '@libsql/client/sqlite3';
import Database from 'libsql';

type SqlValue = number | bigint | string | null | Uint8Array;

const MIN_INTEGER = -9223372036854775808n;
const MAX_INTEGER = 9223372036854775807n;

function valueToSql(value: InValue): SqlValue {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
    }
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < MIN_INTEGER || value > MAX_INTEGER) {
      throw new RangeError(
        'bigint is too large to be represented as a 64-bit integer and passed as argument',
      );
    }
    return value;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Date) return value.valueOf();
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  return value;
}

/** Positional arguments as an array; named ones as an object keyed without the `:`, `@` or `$`. */
export function argsToSql(args: InArgs | undefined): SqlValue[] | Record<string, SqlValue> {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(valueToSql);
  const named: Record<string, SqlValue> = {};
  for (const name in args) {
    const bare = name[0] === '@' || name[0] === '$' || name[0] === ':' ? name.slice(1) : name;
    named[bare] = valueToSql((args as Record<string, InValue>)[name] as InValue);
  }
  return named;
}

export function statementOf(stmt: InStatement | [string, InArgs?]): { sql: string; args?: InArgs } {
  if (typeof stmt === 'string') return { sql: stmt };
  if (Array.isArray(stmt)) return stmt[1] === undefined ? { sql: stmt[0] } : { sql: stmt[0], args: stmt[1] };
  return stmt;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function valueFromSql(value: unknown): Row[number] {
  if (typeof value === 'bigint') {
    if (value < -MAX_SAFE || value > MAX_SAFE) {
      throw new RangeError('Received integer which cannot be safely represented as a JavaScript number');
    }
    return Number(value);
  }
  if (value instanceof Buffer) return value.buffer as ArrayBuffer;
  return value as Row[number];
}

/**
 * Rows as @libsql/client builds them: values by column name (own, enumerable, so spreading or
 * JSON gives the named columns) and by index (not enumerable), plus `length`. The index reads
 * and `length` live on a prototype made once per column list, so a row is a plain object
 * filled in a fixed order (one hidden class) instead of one defineProperty per value, which
 * cost 8% of a stored turn's CPU and left rows in slow dictionary mode.
 */
type RowMaker = (values: readonly unknown[]) => Row;

function rowMaker(columns: readonly string[]): RowMaker {
  const plain = columns.every((column) => column !== 'length' && !/^\d+$/.test(column));
  if (!plain || new Set(columns).size !== columns.length) {
    return (values) => rowWithOwnIndexes(values, columns);
  }
  const prototype = {};
  Object.defineProperty(prototype, 'length', { value: columns.length });
  columns.forEach((column, index) => {
    Object.defineProperty(prototype, index, {
      get(this: Record<string, unknown>) {
        return this[column];
      },
    });
  });
  return (values) => {
    const row = Object.create(prototype) as Record<string, unknown>;
    for (let i = 0; i < columns.length; i++) row[columns[i] as string] = valueFromSql(values[i]);
    return row as unknown as Row;
  };
}

/**
 * The general form, for names an index or `length` would clash with and for `SELECT a, a`
 * (the name keeps the first value, each index its own), as @libsql/client builds every row.
 */
function rowWithOwnIndexes(values: readonly unknown[], columns: readonly string[]): Row {
  const row = {} as Row;
  Object.defineProperty(row, 'length', { value: values.length });
  for (let i = 0; i < values.length; i++) {
    const value = valueFromSql(values[i]);
    Object.defineProperty(row, i, { value });
    const column = columns[i] as string;
    if (!Object.hasOwn(row, column)) {
      Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });
    }
  }
  return row;
}

/** One maker per column list seen (a statement's list rarely changes); bounded like the statements. */
const ROW_MAKERS_KEPT = 256;
const rowMakers = new Map<string, RowMaker>();

function rowMakerFor(columns: readonly string[]): RowMaker {
  const key = columns.join('\u0000');
  let maker = rowMakers.get(key);
  if (maker === undefined) {
    if (rowMakers.size >= ROW_MAKERS_KEPT) rowMakers.clear();
    maker = rowMaker(columns);
    rowMakers.set(key, maker);
  }
  return maker;
}

function resultSet(
  columns: string[],
  columnTypes: string[],
  rows: Row[],
  rowsAffected: number,
  lastInsertRowid: bigint | undefined,
): ResultSet {
  return {
    columns,
    columnTypes,
    rows,
    rowsAffected,
    lastInsertRowid,
    toJSON() {
      return {
        columns,
        columnTypes,
        rows: rows.map((row) => Array.prototype.slice.call(row)),
        rowsAffected,
        lastInsertRowid: lastInsertRowid === undefined ? null : String(lastInsertRowid),
      };
    },
  };
}

/** The result of a statement that yields rows: raw value arrays and the statement's columns. */
export function readResult(
  values: unknown[][],
  columnDefinitions: ReadonlyArray<{ name: string; type: string | null }>,
): ResultSet {
  const columns = columnDefinitions.map((column) => column.name);
  const columnTypes = columnDefinitions.map((column) => column.type ?? '');
  // As @libsql/client: a statement that yields rows reports no rowsAffected.
  const makeRow = rowMakerFor(columns);
  return resultSet(columns, columnTypes, values.map(makeRow), 0, undefined);
}

export function writeResult(info: { changes: number; lastInsertRowid: number | bigint }): ResultSet {
  return resultSet([], [], [], info.changes, BigInt(info.lastInsertRowid));
}

const BEGIN: Record<TransactionMode, string> = {
  write: 'BEGIN IMMEDIATE',
  read: 'BEGIN TRANSACTION READONLY',
  deferred: 'BEGIN DEFERRED',
};

export function beginStatement(mode: TransactionMode): string {
  const sql = BEGIN[mode];
  if (sql === undefined) {
    throw new RangeError('Unknown transaction mode, supported values are "write", "read" and "deferred"');
  }
  return sql;
}

// SQLite's primary result codes by number (extended codes carry the primary one in the low byte).
const BASE_CODES = [
  'SQLITE_OK',
  'SQLITE_ERROR',
  'SQLITE_INTERNAL',
  'SQLITE_PERM',
  'SQLITE_ABORT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_READONLY',
  'SQLITE_INTERRUPT',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTFOUND',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_EMPTY',
  'SQLITE_SCHEMA',
  'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT',
  'SQLITE_MISMATCH',
  'SQLITE_MISUSE',
  'SQLITE_NOLFS',
  'SQLITE_AUTH',
  'SQLITE_FORMAT',
  'SQLITE_RANGE',
  'SQLITE_NOTADB',
  'SQLITE_NOTICE',
  'SQLITE_WARNING',
];

/** The binding's SqliteError as the LibsqlError @libsql/client would throw; anything else as is. */
export function libsqlErrorOf(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const { rawCode, code: extendedCode, message } = error as Error & { code: string; rawCode?: number };
  const base =
    rawCode === undefined
      ? 'SQLITE_UNKNOWN'
      : (BASE_CODES[rawCode & 0xff] ?? `SQLITE_UNKNOWN_${rawCode & 0xff}`);
  return new LibsqlError(message, base, extendedCode, rawCode, error);
}
