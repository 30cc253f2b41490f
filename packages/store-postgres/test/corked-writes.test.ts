/**
 * corked-writes.ts: what a caller sends before it awaits goes to the server in one socket write
 * (a run claim's BEGIN, statements, SET LOCAL and COMMIT were a write each), and what it sends
 * after an answer goes out in a write of its own, nothing held back.
 */
import { expect, it, vi } from 'vitest';
import { connect } from '../src/connection.js';
import { PgDatabase } from '../src/store/database.js';
import { describePostgres, POSTGRES_URL } from './postgres-helpers.js';

interface Socket {
  _write(...args: unknown[]): void;
  _writev(...args: unknown[]): void;
}

describePostgres('PostgreSQL statements sent together', () => {
  it('go out in one socket write, and a statement sent after an answer in one more', async () => {
    const connection = connect({ url: POSTGRES_URL, schema: 'public', max: 1 });
    const db = new PgDatabase(connection);
    try {
      // The pool's one connection, as every unit below gets it.
      const client = await connection.pool.connect();
      const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
      client.release();
      const writes = [vi.spyOn(socket, '_write'), vi.spyOn(socket, '_writev')];
      const count = () => writes.reduce((sum, spy) => sum + spy.mock.calls.length, 0);

      // BEGIN, three statements, COMMIT: sent before the first answer.
      const rows = await db.batch(async (sql) => {
        const answers = [1, 2, 3].map((n) => sql.query<{ n: number }>('SELECT $1::int AS n', [n]));
        return (await Promise.all(answers)).map((answer) => answer.rows[0]?.n);
      });
      expect(rows).toEqual([1, 2, 3]);
      expect(count()).toBe(1);

      // A statement that needs the answer before it: one write for what went before, one for it.
      await db.atomic(async (sql) => {
        const { rows: first } = await sql.query<{ n: number }>('SELECT 1 AS n');
        await sql.query('SELECT $1::int AS n', [(first[0]?.n ?? 0) + 1]);
      });
      // BEGIN with the first statement; the second; the COMMIT (sent after its answer).
      expect(count()).toBe(4);
    } finally {
      await connection.pool.end();
    }
  });
});
