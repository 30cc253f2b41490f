/**
 * What the PostgreSQL search index's files share (search-index-vector.test.ts,
 * search-index-writes-search.test.ts): a small model, its chunks, and two pools on one migrated
 * schema, as two processes would open them.
 */
import { openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import type { NewChunk, SearchModel, SearchSource } from '@oxydra/types';
import type pg from 'pg';
import { adminQuery, freshSchema, migratedSchemas, POSTGRES_URL } from './postgres-helpers.js';

/**
 * Polling the database: each look opens a connection (a server process) of its own, so every
 * 100 ms, not pollUntil's 25 (a background index build takes seconds on a loaded machine).
 */
export const DB_POLL = { intervalMs: 100 };

export const MODEL: SearchModel = { id: 'pg-test', dimensions: 16 };

export function unit(axis: number, dims = MODEL.dimensions): Float32Array {
  const vector = new Float32Array(dims);
  vector[axis % dims] = 1;
  vector[(axis + 1) % dims] = 0.25;
  return vector;
}

export const chunk = (text: string, axis: number, dims?: number): NewChunk => ({
  text,
  hash: `hash-${text}`,
  vector: unit(axis, dims),
});

export const note = (id: string): SearchSource => ({ type: 'note', id });

export type TwoPools = {
  first: PostgresStores;
  second: PostgresStores;
  url: string;
  schema: string;
  admin<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Closes the second pool (once): what its process does when it stops. */
  closeSecond(): Promise<void>;
  close(): Promise<void>;
};

/**
 * The opener of two pools, for the calling describe (its schemas come from the file's pool of
 * migrated ones, dropped after the file's tests): the stores on a fresh schema, a second pool on
 * it (another process), the schema's name, and `admin` to look under them. `ownDatabase`: in a
 * database of its own, for a test that leaves a transaction open (CONCURRENTLY steps wait for
 * every transaction of their database: other tests' must not wait for this one's).
 */
export function twoPools(): (ownDatabase?: boolean) => Promise<TwoPools> {
  const schemas = migratedSchemas();
  return async (ownDatabase = false) => {
    // In the test database, a migrated schema from the file's pool (migrating one per test was
    // most of the plain tests' time); in a database of the test's own, a fresh one.
    const name = ownDatabase ? freshSchema() : await schemas.take();
    const url = new URL(POSTGRES_URL);
    if (ownDatabase) {
      await adminQuery(`CREATE DATABASE ${name}`);
      url.pathname = `/${name}`;
    }
    const first = await openPostgresStores({ url: url.href, schema: name });
    const second = await openPostgresStores({ url: url.href, schema: name, migrate: false });
    let closing: Promise<void> | undefined;
    const closeSecond = () => {
      closing ??= second.close();
      return closing;
    };
    return {
      first,
      second,
      url: url.href,
      schema: name,
      admin: (text, values) => adminQuery(text, values, url.href),
      closeSecond,
      close: async () => {
        await closeSecond();
        await first.close();
        if (ownDatabase) await adminQuery(`DROP DATABASE ${name} WITH (FORCE)`);
        else await schemas.release(name);
      },
    };
  };
}
