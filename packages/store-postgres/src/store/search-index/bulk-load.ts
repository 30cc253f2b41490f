/**
 * A bulk load (SearchIndexStore.bulkLoad): the model's HNSW index dropped, the load's rows
 * written without it, then the index built once over every row. pgvector's row-by-row insert
 * searches the on-disk graph and rewrites each new neighbour's list (about 1.8 ms of server CPU
 * per vector here); a build lays the graph out in memory (about 0.35 ms per vector, on parallel
 * workers): docs/postgres.md, "The search index", has the figures.
 *
 * While it runs the index stays usable by every process: searches of the model are exact scans
 * while the index is missing (correct, slower), and other writers go on: the drop and the build
 * are CONCURRENTLY, which takes no lock that blocks writes (but waits for open transactions,
 * which concurrently.ts names). The loading session holds the model's bulk lock (hnsw.ts)
 * throughout, so a store opening meanwhile leaves the index to it; if the process dies, the lock
 * goes with its connection and the next open rebuilds the index in the background (rebuild.ts:
 * missing, or left invalid by a CONCURRENTLY build cut short). Two loads of one model, or a load
 * and a rebuild, take turns.
 */
import type { PgDatabase } from '../database.js';
import { buildHnswConcurrently, dropHnswConcurrently, lockForSteps } from './concurrently.js';
import type { ModelSql } from './model-sql.js';

export async function bulkLoad<T>(db: PgDatabase, model: ModelSql, work: () => Promise<T>): Promise<T> {
  if (!model.hnsw) return work();
  return db.session(async (sql) => {
    const session = (await lockForSteps(sql, model, 'wait'))!;
    await dropHnswConcurrently(db, session, model);
    // Built even when the load failed (what was written is searchable quickly again); the
    // load's own error is the one reported.
    const loaded = await work().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const built = buildHnswConcurrently(db, session, model);
    if ('error' in loaded) {
      await built.catch(() => {});
      throw loaded.error;
    }
    await built;
    return loaded.value;
  });
}
