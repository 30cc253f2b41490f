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
 * The stores' close stops the rebuilds their database started (stopRebuilds): it cancels the
 * statement each runs (pg_cancel_backend of the build's own session, in this database only) and
 * waits for them to end, so a build held up by a transaction left open does not hold the close
 * up with it. A build stopped so, like one whose process exits, leaves an invalid index (or
 * none), rebuilt from scratch by the next open.
 */
import { setTimeout as sleep } from 'node:timers/promises';
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

/** How often close asks a rebuild still running to stop (one sent between its steps is missed). */
const CANCEL_EVERY_MS = 100;

/** A rebuild under way: its session's backend once it has one, and whether close stops it. */
interface Rebuild {
  pid?: number;
  stopping: boolean;
}

/** Thrown between steps of a rebuild the close stops. */
class Stopped extends Error {}

const underWay = new WeakMap<PgDatabase, Map<Promise<void>, Rebuild>>();

async function rebuild(db: PgDatabase, model: ModelSql, warn: Warn, state: Rebuild): Promise<void> {
  const goOn = () => {
    if (state.stopping) throw new Stopped();
  };
  await db.session(async (sql) => {
    const session = await lockForSteps(sql, model, 'try');
    if (session === undefined) return;
    state.pid = session.pid;
    goOn();
    const found = await sql.query<{ valid: boolean | null }>(
      'SELECT (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)) AS valid',
      [hnswName(model)],
    );
    const valid = found.rows[0]?.valid ?? null;
    if (valid === true) return;
    goOn();
    if (valid === false) await dropHnswConcurrently(db, session, model, warn);
    goOn();
    await buildHnswConcurrently(db, session, model, warn);
  });
}

/** Starts the rebuild of `model`'s HNSW index; its failure is reported, never thrown. */
export function rebuildInBackground(db: PgDatabase, model: ModelSql, warn: Warn = warnOnStderr): void {
  const builds = underWay.get(db) ?? new Map<Promise<void>, Rebuild>();
  underWay.set(db, builds);
  const state: Rebuild = { stopping: false };
  const build = rebuild(db, model, warn, state).catch((error: unknown) => {
    if (state.stopping) {
      warn(
        `rebuilding the HNSW index ${hnswName(model)} was stopped by the store's close; the next open of the store builds it again`,
      );
      return;
    }
    warn(
      `rebuilding the HNSW index ${hnswName(model)} failed: ${(error as Error).message}; searches of its model are exact scans (slower) until the next open of the store tries again`,
    );
  });
  builds.set(build, state);
  void build.finally(() => builds.delete(build));
}

/**
 * Stops every rebuild started on `db` and resolves once they are over (the stores' close, before
 * the pool ends): each running statement is cancelled, again every CANCEL_EVERY_MS until it ends.
 */
export async function stopRebuilds(db: PgDatabase): Promise<void> {
  const builds = underWay.get(db);
  while (builds !== undefined && builds.size > 0) {
    for (const state of builds.values()) state.stopping = true;
    const pids = [...builds.values()].flatMap((state) => (state.pid === undefined ? [] : [state.pid]));
    if (pids.length > 0) {
      await db
        .run((sql) =>
          sql.query(
            // Only backends of this database: a pid is the server's, and these are this store's builds.
            `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
             WHERE pid = ANY($1::int[]) AND datname = current_database()`,
            [pids],
          ),
        )
        .catch(() => {});
    }
    await Promise.race([Promise.all(builds.keys()), sleep(CANCEL_EVERY_MS)]);
  }
}
