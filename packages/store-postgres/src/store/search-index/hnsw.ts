/**
 * The model's HNSW index: its name, its definition and how it is built, shared by the store's
 * first open of a model (model.ts: created with the model), its rebuild when an open finds it
 * missing or left invalid (rebuild.ts) and a bulk load (bulk-load.ts: dropped, then built once
 * over every row).
 *
 * Built with the graph in memory: pgvector builds it there when it fits in maintenance_work_mem
 * (about 1.3 KB a 256-dimension vector at m 16: 4 MB held 3,246, so the server's default, 64 MB,
 * holds about 52,000 and 1 GB about 800,000; past that pgvector goes on from disk, "significantly"
 * slower as its notice says), so a build raises it for its own session or transaction only. Parallel workers are the server's max_parallel_maintenance_workers (its
 * default, 2): the database administrator's call, as the cores are the server's.
 */
import type { ModelSql } from './model-sql.js';

/** pgvector's HNSW build parameters; docs/postgres.md, "The search index", has the measurements. */
const HNSW_M = 16;
const HNSW_EF_CONSTRUCTION = 64;
/** The most dimensions pgvector's HNSW takes for `halfvec`. */
export const HNSW_MAX_DIMENSIONS = 4000;
/** maintenance_work_mem of a build: the graph of 100,000 256-dimension vectors in memory, with room. */
const BUILD_MEMORY = '1GB';

/**
 * The statement giving a build BUILD_MEMORY for its transaction (`transaction`) or its session,
 * unless the server, database or role already give it more: an administrator who set
 * maintenance_work_mem higher for a larger index (past ~800,000 vectors, docs/postgres.md) keeps
 * that setting instead of seeing the build lowered to ours.
 */
export function buildMemorySql(scope: 'transaction' | 'session'): string {
  return `SELECT set_config('maintenance_work_mem',
    CASE WHEN pg_size_bytes(current_setting('maintenance_work_mem')) >= pg_size_bytes('${BUILD_MEMORY}')
      THEN current_setting('maintenance_work_mem') ELSE '${BUILD_MEMORY}' END,
    ${scope === 'transaction'})`;
}

export function hnswName(model: Pick<ModelSql, 'key'>): string {
  return `search_chunks_hnswh_${model.key}`;
}

/** DROP INDEX of the model's HNSW index, if it exists; concurrently: as CREATE INDEX below. */
export function dropHnswSql(model: Pick<ModelSql, 'key'>, concurrently: boolean): string {
  return `DROP INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS ${hnswName(model)}`;
}

/** CREATE INDEX of the model's HNSW index; concurrently: without blocking writers (outside a transaction). */
export function createHnswSql(model: ModelSql, concurrently: boolean): string {
  return `CREATE INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${hnswName(model)} ON search_chunks
    USING hnsw (${model.order} ${model.opclass})
    WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION})
    WHERE model_key = ${model.key}`;
}

/**
 * The advisory lock key of a bulk load of the model in this schema (SQL): held by the loading
 * session for the whole load, and by a rebuild's session for the whole build, so an opening
 * store leaves the missing index to them, two of them never build at once, and one that died
 * (its session gone) leaves the rebuild to the next open.
 */
export function bulkLockSql(key: number | string): string {
  return `hashtextextended('oxydra-search-bulk:' || current_schema() || ':' || ${key}, 0)`;
}
