/**
 * @oxydra/store-postgres: Oxydra's stores on PostgreSQL (issue 33). Sessions, kernel state,
 * notes, the search index (pgvector HNSW and tsvector), the control store group and the cluster
 * store (several gateway processes on one database), passing the same contract suites as the
 * embedded libSQL stores, with versioned migrations; and the cross-process event bus on
 * LISTEN/NOTIFY. The CLI opens them (packages/cli/src/run/store-choice.ts) when
 * [store] backend = "postgres"; another host opens them with openPostgresStores and passes them in.
 */
export { PostgresEventBus, type PostgresEventBusOptions } from './bus/bus.js';
export type { ReassemblyLimits } from './bus/reassembly.js';
export { checkSchemaName, DEFAULT_SCHEMA, describeTarget, PostgresConnectionError } from './connection.js';
export { openPostgresStores, type PostgresStoreOptions, type PostgresStores } from './open.js';
export { migratePostgres, postgresSchemaStatus, type SchemaStatus } from './schema-admin.js';
export {
  ClusterInputError,
  ClusterProcessUnknownError,
  ClusterRunExistsError,
  PostgresClusterStore,
} from './store/cluster.js';
export { LATEST_VERSION, type MigrationReport, PostgresSchemaError } from './store/migrate.js';
export { MIGRATIONS, type PostgresMigration } from './store/migrations.js';
export { PgvectorMissingError } from './store/search-index/migration.js';
export { PostgresSearchIndex } from './store/search-index/store.js';
