/**
 * Runs the versioned migrations (migrations.ts) on a schema: under a session advisory lock keyed
 * by the schema's name, so two processes starting together do not both migrate (the second
 * waits, then finds nothing left to do); each migration in its own transaction together with its
 * row in schema_migrations, so a failed one leaves nothing behind and runs again next time.
 */
import { OxydraError } from '@oxydra/types';
import type pg from 'pg';
import type { Connection } from '../connection.js';
import { MIGRATIONS } from './migrations.js';

export interface MigrationReport {
  schema: string;
  /** The versions this call applied, in order (empty when the schema was current). */
  applied: number[];
  /** The schema's version now. */
  version: number;
}

/** The newest version this package knows. */
export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

export class PostgresSchemaError extends OxydraError {}

function tooNew(schema: string, found: number): PostgresSchemaError {
  return new PostgresSchemaError(
    'config_error',
    `PostgreSQL schema ${schema} is at version ${found}, but this Oxydra knows versions up to ${LATEST_VERSION}: upgrade Oxydra to use it`,
    { hint: 'a newer Oxydra migrated this schema; older versions must not write to it' },
  );
}

export async function migrateSchema(connection: Connection, schema: string): Promise<MigrationReport> {
  let client: pg.PoolClient;
  try {
    client = await connection.pool.connect();
  } catch (error) {
    throw connection.explain(error);
  }
  const lockKey = `oxydra-migrate:${schema}`;
  let locked = false;
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
    locked = true;
    // Created under the lock: two `CREATE SCHEMA IF NOT EXISTS` racing can still collide.
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (row) => row.version,
      ),
    );
    const found = Math.max(0, ...done);
    if (found > LATEST_VERSION) throw tooNew(schema, found);
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw migration.explain?.(error, connection.target) ?? error;
      }
      applied.push(migration.version);
    }
    return { schema, applied, version: Math.max(found, ...applied) };
  } catch (error) {
    throw connection.explain(error);
  } finally {
    if (locked)
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]).catch(() => {});
    client.release();
  }
}

/** The schema's version (0: not migrated at all), without changing anything. */
export async function schemaVersion(connection: Connection, schema: string): Promise<number> {
  try {
    const exists = await connection.pool.query<{ found: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS found`,
      [`${schema}.schema_migrations`],
    );
    if (!exists.rows[0]?.found) return 0;
    const result = await connection.pool.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${schema}.schema_migrations`,
    );
    return result.rows[0]?.version ?? 0;
  } catch (error) {
    throw connection.explain(error);
  }
}

/** Refuses a schema that is behind (run migrate) or ahead (upgrade Oxydra) of this package. */
export async function requireCurrent(connection: Connection, schema: string): Promise<void> {
  const found = await schemaVersion(connection, schema);
  if (found > LATEST_VERSION) throw tooNew(schema, found);
  if (found < LATEST_VERSION) {
    throw new PostgresSchemaError(
      'config_error',
      `PostgreSQL schema ${schema} is at version ${found}, this Oxydra needs ${LATEST_VERSION}: migrate it first`,
      { hint: 'open the stores with migrate on (the default), or call migrate()' },
    );
  }
}
