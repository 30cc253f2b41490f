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
 * model is searched by an exact scan.
 *
 * A schema made before this kept `search_chunks_hnsw_<key>` over `vector`: the first store
 * opened for that model drops it and builds the halfvec one (`search_chunks_hnswh_<key>`), once.
 */
import type { SearchModel } from '@oxydra/types';
import type { PgDatabase } from '../database.js';

/** pgvector's HNSW build parameters (its defaults; see docs/postgres.md for the recall measured). */
const HNSW_M = 16;
const HNSW_EF_CONSTRUCTION = 64;
/** The most dimensions pgvector's HNSW takes for `halfvec`. */
const HNSW_MAX_DIMENSIONS = 4000;

export interface ModelSql {
  key: number;
  dims: number;
  /** `embedding` typed to the model's dimensions (full precision: the distance reported). */
  column: string;
  /** The model's vector type, `<pgvector's schema>.vector(<dims>)`. */
  type: string;
  /**
   * What a search orders by: `embedding` in half precision, as the HNSW index is built on it, or
   * the full-precision column for a model too wide for HNSW (an exact scan).
   */
  order: string;
  /** The type of the query vector in that order, halfvec(<dims>) or vector(<dims>). */
  orderType: string;
  /** pgvector's cosine distance operator, schema-qualified. */
  distance: string;
}

export async function prepareModel(db: PgDatabase, model: SearchModel): Promise<ModelSql> {
  return db.atomic(async (sql) => {
    await sql.query(
      `SELECT pg_advisory_xact_lock(hashtextextended('oxydra-search-model:' || current_schema(), 0))`,
    );
    await sql.query(
      'INSERT INTO search_models (model_id, dims) VALUES ($1, $2) ON CONFLICT (model_id, dims) DO NOTHING',
      [model.id, model.dimensions],
    );
    const { rows } = await sql.query<{ key: number; ext: string; indexed: boolean; old: boolean }>(
      `SELECT m.key, quote_ident(n.nspname) AS ext,
              to_regclass('search_chunks_hnswh_' || m.key) IS NOT NULL AS indexed,
              to_regclass('search_chunks_hnsw_' || m.key) IS NOT NULL AS old
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
    };
    if (row.old) await sql.query(`DROP INDEX search_chunks_hnsw_${row.key}`);
    if (!row.indexed && hnsw) {
      await sql.query(
        `CREATE INDEX search_chunks_hnswh_${row.key} ON search_chunks
         USING hnsw (${prepared.order} ${row.ext}.halfvec_cosine_ops)
         WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION})
         WHERE model_key = ${row.key}`,
      );
    }
    return prepared;
  });
}
