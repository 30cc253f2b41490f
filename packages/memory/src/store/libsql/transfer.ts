/**
 * StoreTransfer (@oxydra/types) on a libSQL file: the records of TRANSFER_TABLES read in their
 * order and written as given, for `oxydra store copy`. One implementation for both files (the
 * memory file here, the kernel database through @oxydra/kernel/stores), over a small runner
 * each opens its own way. A copy's marks live in the file's copy_progress table, made when a copy
 * first targets the file (it is the copy's bookkeeping, not the stores' schema).
 */
import type { Client, InStatement } from '@libsql/client';
import {
  type StoreTransfer,
  type TransferKey,
  type TransferMark,
  type TransferRecord,
  type TransferTable,
  type TransferValue,
  transferTable,
} from '@oxydra/types';

/** How a transfer reaches one SQLite database. */
export interface SqliteRunner {
  all(sql: string, args: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs the statements in order in one write transaction. */
  batch(statements: readonly { sql: string; args: readonly unknown[] }[]): Promise<void>;
}

const MARKS_TABLE = `CREATE TABLE IF NOT EXISTS copy_progress (
  tbl TEXT PRIMARY KEY, source TEXT NOT NULL, last TEXT, copied INTEGER NOT NULL, done INTEGER NOT NULL)`;
const KEY = '__key';

const quote = (name: string) => `"${name}"`;

function fromRow(table: TransferTable, row: Record<string, unknown>): TransferRecord {
  const record: TransferRecord = {};
  for (const [field, type] of Object.entries(table.fields)) {
    const value = row[field];
    if (value === null || value === undefined) record[field] = null;
    else if (type === 'boolean') record[field] = Number(value) !== 0;
    else if (type === 'tags') record[field] = JSON.parse(String(value)) as string[];
    else if (type === 'text') record[field] = String(value);
    else record[field] = Number(value);
  }
  return record;
}

function toValue(value: TransferValue | undefined): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return JSON.stringify(value);
  return value;
}

export function sqliteTransfer(
  runner: SqliteRunner,
  options: { source: string; tables: readonly string[]; alsoClear?: readonly string[] },
): StoreTransfer {
  const { source, tables } = options;
  const ensure = () => runner.batch([{ sql: MARKS_TABLE, args: [] }]);
  return {
    source,
    tables,
    async count(name) {
      const rows = await runner.all(`SELECT COUNT(*) AS n FROM ${quote(transferTable(name).name)}`, []);
      return Number(rows[0]?.n ?? 0);
    },
    async read(name, after, limit) {
      const table = transferTable(name);
      const fields = Object.keys(table.fields).map(quote).join(', ');
      const order = table.order === 'insertion' ? ['rowid'] : table.order.map(quote);
      const where =
        after === undefined ? '' : `WHERE (${order.join(', ')}) > (${order.map(() => '?').join(', ')})`;
      const rows = await runner.all(
        `SELECT ${fields}, ${order.map((o, i) => `${o} AS ${KEY}${i}`).join(', ')} FROM ${quote(table.name)} ${where}
         ORDER BY ${order.join(', ')} LIMIT ?`,
        [...(after ?? []), limit],
      );
      const lastRow = rows.at(-1);
      const last: TransferKey | undefined = lastRow
        ? order.map((_, i) => lastRow[`${KEY}${i}`] as string | number)
        : undefined;
      return { records: rows.map((row) => fromRow(table, row)), last };
    },
    async marks() {
      await ensure();
      const rows = await runner.all('SELECT tbl, source, last, copied, done FROM copy_progress', []);
      return rows.map(
        (row): TransferMark => ({
          table: String(row.tbl),
          source: String(row.source),
          last: row.last === null ? undefined : (JSON.parse(String(row.last)) as TransferKey),
          copied: Number(row.copied),
          done: Number(row.done) !== 0,
        }),
      );
    },
    async write(name, records, mark) {
      const table = transferTable(name);
      const fields = Object.keys(table.fields);
      const insert = `INSERT INTO ${quote(table.name)} (${fields.map(quote).join(', ')})
        VALUES (${fields.map(() => '?').join(', ')})`;
      await runner.batch([
        ...records.map((record) => ({ sql: insert, args: fields.map((field) => toValue(record[field])) })),
        {
          sql: `INSERT INTO copy_progress (tbl, source, last, copied, done) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (tbl) DO UPDATE SET source = excluded.source, last = excluded.last,
              copied = excluded.copied, done = excluded.done`,
          args: [
            mark.table,
            mark.source,
            mark.last === undefined ? null : JSON.stringify(mark.last),
            mark.copied,
            mark.done ? 1 : 0,
          ],
        },
      ]);
    },
    async clear() {
      await ensure();
      const names = [...(options.alsoClear ?? []), ...[...tables].reverse()];
      await runner.batch([
        ...names.map((name) => ({ sql: `DELETE FROM ${quote(name)}`, args: [] })),
        { sql: 'DELETE FROM copy_progress', args: [] },
      ]);
    },
  };
}

/** The memory file's tables: sessions, their messages and state, kernel state, notes. */
const MEMORY_TABLES = ['sessions', 'conversation_events', 'session_state', 'kernel_state', 'notes'];

/**
 * The memory file's transfer. Its search index is not copied: a forced clear empties it with the
 * records it indexed (chunks go with their sessions; note chunks are removed here).
 */
export function memoryTransfer(client: Client, source: string): StoreTransfer {
  const runner: SqliteRunner = {
    async all(sql, args) {
      const result = await client.execute({ sql, args: args as never });
      return result.rows as unknown as Record<string, unknown>[];
    },
    async batch(statements) {
      await client.batch(
        statements.map((s): InStatement => ({ sql: s.sql, args: s.args as never })),
        'write',
      );
    },
  };
  return sqliteTransfer(runner, { source, tables: MEMORY_TABLES, alsoClear: ['chunks'] });
}
