/**
 * An HNSW build's maintenance_work_mem (hnsw.ts, buildMemorySql): raised to 1 GB for the build's
 * transaction or session when the server gives less, and left as it is when the administrator
 * (server, database, role: here a connection's startup option, as a role's setting arrives) gives
 * more, which a plain `SET` of 1 GB lowered before.
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { buildMemorySql } from '../src/store/search-index/hnsw.js';
import { describePostgres, POSTGRES_URL } from './postgres-helpers.js';

async function withClient<T>(options: string | undefined, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, ...(options ? { options } : {}) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function shown(client: pg.Client): Promise<string> {
  return (await client.query<{ maintenance_work_mem: string }>('SHOW maintenance_work_mem')).rows[0]!
    .maintenance_work_mem;
}

describePostgres('PostgreSQL: the memory of an HNSW build', () => {
  it('raises a smaller setting to 1 GB for the session', async () => {
    await withClient('-c maintenance_work_mem=64MB', async (client) => {
      await client.query(buildMemorySql('session'));
      expect(await shown(client)).toBe('1GB');
    });
  });

  it("keeps a larger setting the administrator gave (a role's or database's arrives like this)", async () => {
    await withClient('-c maintenance_work_mem=3GB', async (client) => {
      await client.query(buildMemorySql('session'));
      expect(await shown(client)).toBe('3GB');
      await client.query('BEGIN');
      await client.query(buildMemorySql('transaction'));
      expect(await shown(client)).toBe('3GB');
      await client.query('COMMIT');
    });
  });

  it('raises it for the transaction only, when asked to', async () => {
    await withClient('-c maintenance_work_mem=64MB', async (client) => {
      await client.query('BEGIN');
      await client.query(buildMemorySql('transaction'));
      expect(await shown(client)).toBe('1GB');
      await client.query('COMMIT');
      expect(await shown(client)).toBe('64MB');
    });
  });
});
