/**
 * A search's candidates as one statement: the vector side (vectorHitsCte), the full-text side
 * (textHitsCtes, text-query.ts) and, for a hybrid search, the chunks of both lists, so a search
 * waits for one round trip and reads one snapshot. searchVector, searchText and searchHybrid
 * (store.ts) all run these, so the three answer the same candidates. On a large index a hybrid
 * search runs each side with its chunks as a statement of its own, both at once on two
 * connections (store.ts says when), and joins their rows (joinSides).
 */
import type { SearchScope } from '@oxydra/types';
import type { ModelSql } from './model-sql.js';
import { scopeSql } from './scope.js';
import { param, textHitsCtes } from './text-query.js';

/** A search's sides as CTEs; a side left out (no vector, no term) is absent. */
export interface CandidateCtes {
  /** CTEs of the statement, in order; they define `vector_hits` and `text_hits` as present. */
  ctes: string[];
  vector: boolean;
  text: boolean;
}

/**
 * `vector_hits (id, distance)`: the best `limit` chunks of the model that the scope allows. The
 * HNSW index orders by the half-precision distance; `distance` is the full-precision one (the
 * caller orders by it, ties by id). hnsw.ef_search and hnsw.iterative_scan are set for every
 * connection (connection.ts).
 */
function vectorHitsCte(
  model: ModelSql,
  vector: string,
  scope: SearchScope,
  limit: number,
  values: unknown[],
) {
  const query = param(values, vector);
  const where = scopeSql(scope, values);
  return `vector_hits AS (SELECT id, ${model.column} ${model.distance} ${query}::${model.type} AS distance
    FROM search_chunks WHERE model_key = ${model.key}${where}
    ORDER BY ${model.order} ${model.distance} ${query}::${model.orderType} LIMIT ${param(values, limit)})`;
}

/** The CTEs of the sides asked for (`vector` in pgvector's text form, `text` the user's words). */
export function candidateCtes(
  model: ModelSql,
  query: {
    vector?: string | undefined;
    text?: string | undefined;
    scope: SearchScope;
    limit: number;
    /** Lexemes to take as common without counting (common-lexemes.ts); none: count every word. */
    common?: readonly string[];
  },
  values: unknown[],
): CandidateCtes {
  const ctes: string[] = [];
  if (query.vector !== undefined)
    ctes.push(vectorHitsCte(model, query.vector, query.scope, query.limit, values));
  const text =
    query.text === undefined
      ? undefined
      : textHitsCtes(query.text, query.limit, values, (into) => scopeSql(query.scope, into), query.common);
  if (text) ctes.push(...text);
  return { ctes, vector: query.vector !== undefined, text: text !== undefined };
}

/** The chunk columns a hybrid search returns with each candidate (store.ts's ChunkRow). */
const CHUNK_COLUMNS =
  'c.id, c.source_type, c.source_id, c.session_id, c.user_id, c.text, c.content_hash, c.tags, c.taint';

/**
 * One row per chunk found by either side: its columns, `distance` (null: not a vector
 * candidate) and `text_score` (null: not a full-text one). Undefined when neither side is there.
 */
export function hybridSql(sides: CandidateCtes): string | undefined {
  const found =
    sides.vector && sides.text
      ? `v.distance, t.score AS text_score FROM vector_hits v FULL JOIN text_hits t ON t.id = v.id
         JOIN search_chunks c ON c.id = coalesce(v.id, t.id)`
      : sides.vector
        ? 'v.distance, NULL::real AS text_score FROM vector_hits v JOIN search_chunks c ON c.id = v.id'
        : sides.text
          ? 'NULL::float8 AS distance, t.score AS text_score FROM text_hits t JOIN search_chunks c ON c.id = t.id'
          : undefined;
  return found === undefined ? undefined : `WITH ${sides.ctes.join(',\n')} SELECT ${CHUNK_COLUMNS}, ${found}`;
}

/** A row of hybridSql's answer: the chunk's columns and what each side found of it. */
export interface HybridRow {
  id: number;
  distance: number | null;
  text_score: number | null;
}

/**
 * The rows of a vector-only and a text-only hybridSql as one answer of both sides: a chunk both
 * found is one row with its distance and its score, as the single statement's FULL JOIN gives.
 */
export function joinSides<R extends HybridRow>(vectorRows: readonly R[], textRows: readonly R[]): R[] {
  const rows = new Map<number, R>();
  for (const row of vectorRows) rows.set(row.id, row);
  for (const row of textRows) {
    const found = rows.get(row.id);
    rows.set(row.id, found ? { ...found, text_score: row.text_score } : row);
  }
  return [...rows.values()];
}
