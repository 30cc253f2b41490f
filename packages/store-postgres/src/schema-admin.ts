/**
 * The schema's migrations without opening the stores, for an operator's commands (`oxydra store
 * migrate` and `status`): what was applied, and where a schema stands against this package.
 * Each call opens a one-connection pool and ends it.
 */
import type { ClusterProcess } from '@oxydra/types';
import { checkSchemaName, connect, DEFAULT_SCHEMA } from './connection.js';
import { PostgresClusterStore } from './store/cluster.js';
import { PgDatabase } from './store/database.js';
import { LATEST_VERSION, type MigrationReport, migrateSchema, schemaVersion } from './store/migrate.js';

export interface SchemaTarget {
  /** `postgres://user:password@host:port/database`; the password is never shown. */
  url: string;
  /** Default "oxydra". */
  schema?: string;
}

export interface SchemaStatus {
  schema: string;
  /** `user@host:port/db`. */
  target: string;
  /** The schema's version (0: not migrated at all). */
  version: number;
  /** The newest version this package knows. */
  latest: number;
  /** Asked for (`liveWithinMs`) and the schema current: the gateway processes that beat within that long. */
  processes?: ClusterProcess[];
}

async function withConnection<T>(
  options: SchemaTarget,
  use: (connection: ReturnType<typeof connect>, schema: string) => Promise<T>,
): Promise<T> {
  const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA);
  const connection = connect({ url: options.url, schema, max: 1 });
  try {
    return await use(connection, schema);
  } finally {
    await connection.pool.end().catch(() => {});
  }
}

/** Applies the migrations the schema lacks (under the advisory lock openPostgresStores takes). */
export function migratePostgres(options: SchemaTarget): Promise<MigrationReport> {
  return withConnection(options, migrateSchema);
}

/**
 * Where the schema stands; a PostgresConnectionError when the server cannot be used. With
 * `liveWithinMs`, on the same connection, the gateway processes live on it (`oxydra doctor`
 * asks both of one connection).
 */
export function postgresSchemaStatus(
  options: SchemaTarget,
  ask: { liveWithinMs?: number } = {},
): Promise<SchemaStatus> {
  return withConnection(options, async (connection, schema) => {
    const version = await schemaVersion(connection, schema);
    const status: SchemaStatus = { schema, target: connection.target, version, latest: LATEST_VERSION };
    if (ask.liveWithinMs === undefined || version !== LATEST_VERSION) return status;
    const cluster = new PostgresClusterStore(new PgDatabase(connection));
    return { ...status, processes: await cluster.processes(ask.liveWithinMs) };
  });
}
