/**
 * The schema's migrations without opening the stores, for an operator's commands (`oxydra store
 * migrate` and `status`): what was applied, and where a schema stands against this package.
 * Each call opens a one-connection pool and ends it.
 */
import { checkSchemaName, connect, DEFAULT_SCHEMA } from './connection.js';
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

/** Where the schema stands; a PostgresConnectionError when the server cannot be used. */
export function postgresSchemaStatus(options: SchemaTarget): Promise<SchemaStatus> {
  return withConnection(options, async (connection, schema) => ({
    schema,
    target: connection.target,
    version: await schemaVersion(connection, schema),
    latest: LATEST_VERSION,
  }));
}
