/**
 * What a search index store needs to know about its model before its first statement: the
 * model's key in search_models (its id and dimensions), the schema pgvector lives in (to name
 * its type and operator), and that the model's HNSW index exists. Done once per store, in one
 * transaction under an advisory lock per schema, so processes opening a new model together
 * create one row and one index; an index that exists is found by name, not re-created (CREATE
 * INDEX IF NOT EXISTS would still lock the table against writers).
 *
 * The index is partial (`WHERE model_key = <key>`, a number written into the SQL so the planner
 * can match it) over `embedding::halfvec(<dims>)` with cosine distance: pgvector's documented
 * way to index one dimension of an untyped column, in half precision (the table keeps the full
 * vector). Half the size of a `vector` index (79 MB against 151 MB for the bench's 100,000
 * 256-dimension chunks, so it stays in a default 128 MB shared_buffers), pgvector computes its
 * distances with F16C/FMA instructions, and its recall@10 was the same (0.70 against 0.68 at
 * ef_search 200, docs/postgres.md). HNSW over halfvec takes up to 4,000 dimensions; a larger
 * model is searched by an exact scan. hnsw.ts defines and builds it.
 *
 * Created here with the model's row, in the same transaction (the model has no rows yet to
 * index). Missing or invalid later (a bulk load's build that died, bulk-load.ts): rebuilt in the
 * background once this transaction commits (rebuild.ts: CONCURRENTLY, the open not waiting for
 * it), unless a bulk load or a rebuild of the model is under way in some session (its lock is
 * held), which builds it. Meanwhile searches are exact scans: correct, slower.
 *
 * A schema made before this kept `search_chunks_hnsw_<key>` over `vector`: the first store
 * opened for that model drops it and builds the halfvec one (`search_chunks_hnswh_<key>`), once.
 */
import type { SearchModel } from '@oxydra/types';
import type { PgDatabase } from '../database.js';
import { buildMemorySql, bulkLockSql, createHnswSql, HNSW_MAX_DIMENSIONS } from './hnsw.js';
import type { ModelSql } from './model-sql.js';
import { rebuildInBackground } from './rebuild.js';

export async function prepareModel(db: PgDatabase, model: SearchModel): Promise<ModelSql> {
  const { prepared, rebuild } = await prepareInTransaction(db, model);
  if (rebuild) rebuildInBackground(db, prepared);
  return prepared;
}

function prepareInTransaction(db: PgDatabase, model: SearchModel) {
  return db.atomic(async (sql) => {
    await sql.query(
      `SELECT pg_advisory_xact_lock(hashtextextended('oxydra-search-model:' || current_schema(), 0))`,
    );
    const inserted = await sql.query(
      'INSERT INTO search_models (model_id, dims) VALUES ($1, $2) ON CONFLICT (model_id, dims) DO NOTHING',
      [model.id, model.dimensions],
    );
    const created = inserted.rowCount === 1;
    // valid: null when the index is missing, false when a build of it died (CONCURRENTLY leaves
    // it so). loading: a bulk load holds the model's lock (a shared try, held to this commit,
    // so no load starts before this transaction has built what it builds).
    const { rows } = await sql.query<{
      key: number;
      ext: string;
      valid: boolean | null;
      old: boolean;
      loading: boolean;
    }>(
      `SELECT m.key, quote_ident(n.nspname) AS ext,
              (SELECT i.indisvalid FROM pg_index i
               WHERE i.indexrelid = to_regclass('search_chunks_hnswh_' || m.key)) AS valid,
              to_regclass('search_chunks_hnsw_' || m.key) IS NOT NULL AS old,
              NOT pg_try_advisory_xact_lock_shared(${bulkLockSql('m.key')}) AS loading
       FROM search_models m, pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
       WHERE m.model_id = $1 AND m.dims = $2 AND e.extname = 'vector'`,
      [model.id, model.dimensions],
    );
    const row = rows[0];
    if (!row) throw new Error('the pgvector extension disappeared from the database (docs/postgres.md)');
    const dims = model.dimensions;
    const vector = `${row.ext}.vector(${dims})`;
    const half = `${row.ext}.halfvec(${dims})`;
    const hnsw = dims <= HNSW_MAX_DIMENSIONS;
    const prepared: ModelSql = {
      key: row.key,
      dims,
      column: `(embedding::${vector})`,
      type: vector,
      order: hnsw ? `(embedding::${half})` : `(embedding::${vector})`,
      orderType: hnsw ? half : vector,
      distance: `OPERATOR(${row.ext}.<=>)`,
      hnsw,
      opclass: `${row.ext}.halfvec_cosine_ops`,
    };
    if (row.old) await sql.query(`DROP INDEX search_chunks_hnsw_${row.key}`);
    const missing = hnsw && row.valid !== true && !row.loading;
    if (missing && created) {
      await sql.query(buildMemorySql('transaction'));
      await sql.query(createHnswSql(prepared, false));
    }
    return { prepared, rebuild: missing && !created };
  });
}
