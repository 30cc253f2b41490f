/**
 * A vector search whose scope filters chunks (a user, tags, a session, one kind of source) runs
 * with a larger hnsw.ef_search than the connection's (connection.ts). pgvector applies the scope's
 * condition to the HNSW scan's candidates: the scan's first batch is the ef_search nearest the
 * graph search finds in the whole index, and a search scoped to a user keeps that user's among
 * them. A user's 10 nearest are about the index's 100 nearest (a tenth of the chunks), which the
 * first batch of 200 holds less well than it holds the 10 nearest; the iterative scan only goes
 * on when fewer than the limit passed, which at a tenth of 200 they seldom do. Measured at
 * 100,000 chunks with ten users (docs/postgres.md, "Searches scoped to a user"): recall@10
 * scoped to a user 0.925 at 200, 0.966 at 400 (1.6 times the statement's time), unscoped 0.967;
 * with a hundred users, where the iterative scan does go on, 0.964 at 400 with relaxed_order.
 *
 * The setting is a SET LOCAL in the search's own transaction, sent together with its statement
 * and COMMIT (PgDatabase.batch): still one round trip. Joined to a caller's transaction (none of
 * the retriever's searches is), it holds until that transaction ends.
 */
import type { SearchScope } from '@oxydra/types';
import type pg from 'pg';
import type { PgDatabase } from '../database.js';
import type { ModelSql } from './model-sql.js';
import { scopeSql } from './scope.js';

/** hnsw.ef_search of a filtered vector search: bench/pg-search.mjs --scoped-ef measures it. */
export const HNSW_FILTERED_EF_SEARCH = 400;

/** The scope leaves out some of the model's chunks (scope.ts's conditions). */
function filters(scope: SearchScope): boolean {
  return scopeSql(scope, []) !== '';
}

/**
 * `statement`'s rows, the statement holding the vector side (vector_hits) of a search in `scope`:
 * with HNSW_FILTERED_EF_SEARCH in effect when the scope filters and the model has an HNSW index.
 */
export async function vectorSearchRows<R extends pg.QueryResultRow>(
  db: PgDatabase,
  model: ModelSql,
  scope: SearchScope,
  statement: string,
  values: unknown[],
): Promise<R[]> {
  if (!model.hnsw || !filters(scope)) return (await db.run((sql) => sql.query<R>(statement, values))).rows;
  return db.batch(async (sql) => {
    // Both sent before awaiting (batch); Promise.all listens to both answers.
    const [, result] = await Promise.all([
      sql.query(`SET LOCAL hnsw.ef_search = ${HNSW_FILTERED_EF_SEARCH}`),
      sql.query<R>(statement, values),
    ]);
    return result.rows;
  });
}
