/**
 * `[store] synchronous_commit` (docs/postgres.md, "Synchronous commit"): "off" sets it on every
 * connection of the store's pool, so no commit waits for the WAL flush; left out, the server's
 * own setting (on) holds and only the relaxed writes' SET LOCAL skips the flush. Read off the
 * server through the same pool the stores use.
 */
import { expect, it } from 'vitest';
import { connect } from '../src/connection.js';
import { describePostgres, dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';

async function settingOf(synchronousCommit: 'on' | 'off' | undefined): Promise<string> {
  const schema = freshSchema();
  const connection = connect({ url: POSTGRES_URL, schema, max: 2, synchronousCommit });
  try {
    // Two connections at once: the setting is the pool's, not one connection's.
    const rows = await Promise.all(
      [0, 1].map(() =>
        connection.pool.query<{ value: string }>("SELECT current_setting('synchronous_commit') AS value"),
      ),
    );
    const values = new Set(rows.map((result) => result.rows[0]!.value));
    expect(values.size).toBe(1);
    return [...values][0]!;
  } finally {
    await connection.pool.end();
    await dropSchema(schema);
  }
}

describePostgres('PostgreSQL: [store] synchronous_commit', () => {
  it('"off" turns the WAL flush wait off on every connection of the pool', async () => {
    expect(await settingOf('off')).toBe('off');
  });

  it('left out or "on", the server’s default holds: commits wait for the flush', async () => {
    expect(await settingOf(undefined)).toBe('on');
    expect(await settingOf('on')).toBe('on');
  });
});
