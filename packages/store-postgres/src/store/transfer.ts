/**
 * StoreTransfer (@oxydra/types) on a PostgreSQL schema, for `oxydra store copy`: the records of
 * TRANSFER_TABLES read in their order and inserted as given, a batch in one statement. What
 * these tables derive is brought up to date in the same transaction: a session's log position
 * (last_seq, last_turn, last_at) after its messages, the audit head after the chain's entries.
 * A copy's marks live in the schema's copy_progress table, made when a copy first targets it.
 */
import {
  type StoreTransfer,
  TRANSFER_TABLES,
  type TransferFieldType,
  type TransferKey,
  type TransferMark,
  transferTable,
} from '@oxydra/types';
import type { PgDatabase, Sql } from './database.js';

const PG_TYPES: Record<TransferFieldType, string> = {
  text: 'text',
  integer: 'bigint',
  real: 'double precision',
  boolean: 'boolean',
  tags: 'text[]',
};

/** The column that numbers rows in insertion order (an identity). */
const INSERTION: Record<string, string> = { sessions: 'generation', usage_log: 'id' };
const KEY = '__key';

const quote = (name: string) => `"${name}"`;

/** Brings what `table` derives up to date with the rows just inserted. */
async function derive(sql: Sql, table: string, records: readonly Record<string, unknown>[]): Promise<void> {
  const last = records.at(-1);
  if (!last) return;
  if (table === 'conversation_events') {
    await sql.query(
      `UPDATE sessions s SET last_seq = m.seq, last_turn = m.turn, last_at = m.created_at
       FROM (SELECT DISTINCT ON (session_id) session_id, seq, turn, created_at FROM conversation_events
             WHERE session_id = ANY($1::text[]) ORDER BY session_id, seq DESC) m
       WHERE s.id = m.session_id`,
      [[...new Set(records.map((r) => r.session_id))]],
    );
  } else if (table === 'audit_log') {
    await sql.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE seq < $1', [last.seq, last.hash]);
  }
}

export function postgresTransfer(db: PgDatabase, source: string): StoreTransfer {
  const tables = TRANSFER_TABLES.map((t) => t.name);
  const ensure = () =>
    db.run((sql) =>
      sql.query(`CREATE TABLE IF NOT EXISTS copy_progress (
        tbl text COLLATE "C" PRIMARY KEY, source text NOT NULL, last text, copied bigint NOT NULL,
        done boolean NOT NULL)`),
    );
  return {
    source,
    tables,
    async count(name) {
      const { rows } = await db.run((sql) =>
        sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quote(transferTable(name).name)}`),
      );
      return Number(rows[0]?.n ?? 0);
    },
    async read(name, after, limit) {
      const table = transferTable(name);
      const fields = Object.keys(table.fields).map(quote).join(', ');
      const order = table.order === 'insertion' ? [INSERTION[name] ?? 'row_id'] : table.order.map(quote);
      const where =
        after === undefined
          ? ''
          : `WHERE (${order.join(', ')}) > (${order.map((_, i) => `$${i + 2}`).join(', ')})`;
      const { rows } = await db.run((sql) =>
        sql.query(
          `SELECT ${fields}, ${order.map((o, i) => `${o} AS ${KEY}${i}`).join(', ')} FROM ${quote(table.name)}
           ${where} ORDER BY ${order.join(', ')} LIMIT $1`,
          [limit, ...(after ?? [])],
        ),
      );
      const lastRow = rows.at(-1);
      const last: TransferKey | undefined = lastRow
        ? order.map((_, i) => lastRow[`${KEY}${i}`] as string | number)
        : undefined;
      const records = rows.map((row) => {
        for (let i = 0; i < order.length; i++) delete row[`${KEY}${i}`];
        return row;
      });
      return { records, last };
    },
    async marks() {
      await ensure();
      const { rows } = await db.run((sql) =>
        sql.query<{ tbl: string; source: string; last: string | null; copied: number; done: boolean }>(
          'SELECT tbl, source, last, copied, done FROM copy_progress',
        ),
      );
      return rows.map(
        (row): TransferMark => ({
          table: row.tbl,
          source: row.source,
          last: row.last === null ? undefined : (JSON.parse(row.last) as TransferKey),
          copied: Number(row.copied),
          done: row.done,
        }),
      );
    },
    async write(name, records, mark) {
      const table = transferTable(name);
      const fields = Object.keys(table.fields);
      const columns = fields.map(quote).join(', ');
      const definitions = fields.map((f) => `${quote(f)} ${PG_TYPES[table.fields[f]!]}`).join(', ');
      await db.atomic(async (sql) => {
        if (records.length > 0) {
          await sql.query(
            `INSERT INTO ${quote(table.name)} (${columns})
             SELECT ${columns} FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (${definitions}))
               WITH ORDINALITY AS x(${columns}, ord)
             ORDER BY ord`,
            [JSON.stringify(records)],
          );
          await derive(sql, table.name, records);
        }
        await sql.query(
          `INSERT INTO copy_progress (tbl, source, last, copied, done) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tbl) DO UPDATE SET source = excluded.source, last = excluded.last,
             copied = excluded.copied, done = excluded.done`,
          [
            mark.table,
            mark.source,
            mark.last === undefined ? null : JSON.stringify(mark.last),
            mark.copied,
            mark.done,
          ],
        );
      });
    },
    async clear() {
      await ensure();
      await db.atomic(async (sql) => {
        for (const name of [...tables].reverse()) await sql.query(`DELETE FROM ${quote(name)}`);
        await sql.query(`UPDATE audit_head SET seq = 0, hash = 'genesis'`);
        await sql.query('DELETE FROM copy_progress');
      });
    },
  };
}
