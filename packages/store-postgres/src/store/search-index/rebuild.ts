/**
 * The rebuild of a model's HNSW index that a store's open found missing or invalid (a bulk load
 * whose process died, bulk-load.ts): in the background, so the open does not wait for it, and
 * CONCURRENTLY on a session of its own, so writers do not either (a plain CREATE INDEX in the
 * open's transaction held them for the whole build, 1-2 min at 100,000 chunks). Meanwhile
 * searches of the model are exact scans, as during a bulk load: a build under way is not valid,
 * and the planner leaves it alone.
 *
 * The build holds the model's bulk lock (hnsw.ts) as a load does, taken with a try: when some
 * session has it, a load or another rebuild is under way and builds the index itself. Under it,
 * the index is looked at again (a rebuild that finished between the open and this lock left it
 * valid), an invalid one dropped, then built. A failure is reported through `warn` (the index
 * stays missing or invalid) and the next open of the model tries again.
 *
 * The stores' close awaits the rebuilds their database started (rebuildsDone): a process that
 * exits mid-build leaves an invalid index, rebuilt from scratch by the next open.
 */
import type { PgDatabase } from '../database.js';
import {
  buildHnswConcurrently,
  dropHnswConcurrently,
  lockForSteps,
  type Warn,
  warnOnStderr,
} from './concurrently.js';
import { hnswName } from './hnsw.js';
import type { ModelSql } from './model-sql.js';

const underWay = new WeakMap<PgDatabase, Set<Promise<void>>>();

async function rebuild(db: PgDatabase, model: ModelSql, warn: Warn): Promise<void> {
  await db.session(async (sql) => {
    const session = await lockForSteps(sql, model, 'try');
    if (session === undefined) return;
    const found = await sql.query<{ valid: boolean | null }>(
      'SELECT (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)) AS valid',
      [hnswName(model)],
    );
    const valid = found.rows[0]?.valid ?? null;
    if (valid === true) return;
    if (valid === false) await dropHnswConcurrently(db, session, model, warn);
    await buildHnswConcurrently(db, session, model, warn);
  });
}

/** Starts the rebuild of `model`'s HNSW index; its failure is reported, never thrown. */
export function rebuildInBackground(db: PgDatabase, model: ModelSql, warn: Warn = warnOnStderr): void {
  const builds = underWay.get(db) ?? new Set();
  underWay.set(db, builds);
  const build = rebuild(db, model, warn).catch((error: unknown) => {
    warn(
      `rebuilding the HNSW index ${hnswName(model)} failed: ${(error as Error).message}; searches of its model are exact scans (slower) until the next open of the store tries again`,
    );
  });
  builds.add(build);
  void build.finally(() => builds.delete(build));
}

/** Resolves once every rebuild started on `db` is over (the stores' close, before the pool ends). */
export async function rebuildsDone(db: PgDatabase): Promise<void> {
  const builds = underWay.get(db);
  while (builds !== undefined && builds.size > 0) await Promise.all(builds);
}
