/**
 * @oxydra/store-postgres: Oxydra's stores on PostgreSQL (issue 33). Sessions, kernel state,
 * notes, the search index (pgvector HNSW and tsvector) and the control store group, passing the same contract suites
 * as the embedded libSQL stores, with versioned migrations; and the cross-process event bus on LISTEN/NOTIFY. Not wired into openKernel, config or
 * the CLI yet: a host opens the stores with openPostgresStores and passes them in.
 */
export { PostgresEventBus, type PostgresEventBusOptions } from './bus/bus.js';
export type { ReassemblyLimits } from './bus/reassembly.js';
export { checkSchemaName, DEFAULT_SCHEMA, describeTarget, PostgresConnectionError } from './connection.js';
export { openPostgresStores, type PostgresStoreOptions, type PostgresStores } from './open.js';
export { migratePostgres, postgresSchemaStatus, type SchemaStatus } from './schema-admin.js';
export { LATEST_VERSION, type MigrationReport, PostgresSchemaError } from './store/migrate.js';
export { MIGRATIONS, type PostgresMigration } from './store/migrations.js';
export { PgvectorMissingError } from './store/search-index/migration.js';
export { PostgresSearchIndex } from './store/search-index/store.js';
