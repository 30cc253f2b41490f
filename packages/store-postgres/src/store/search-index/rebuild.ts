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
 * The stores' close waits for the rebuilds their database started (stopRebuilds), so a build
 * that is making progress finishes (a one-shot `oxydra run` that stopped every build it started
 * would leave the index unbuilt for good), but it stops one held up by a transaction open longer
 * than REPORT_AFTER (an idle psql; the build would wait as long as it stays open): it cancels
 * that build's statement (pg_cancel_backend of the build's own session, in this database only).
 * A build stopped so, like one whose process exits, leaves an invalid index (or none), rebuilt
 * from scratch by the next open.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PgDatabase } from '../database.js';
import {
  buildHnswConcurrently,
  dropHnswConcurrently,
  lockForSteps,
  REPORT_AFTER,
  type Warn,
  warnOnStderr,
} from './concurrently.js';
import { hnswName } from './hnsw.js';
import type { ModelSql } from './model-sql.js';

/** How often close looks again for a held-up rebuild to stop (a cancel sent between two steps is missed). */
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
 * Resolves once every rebuild started on `db` is over (the stores' close, before the pool ends),
 * stopping each one held up by a transaction open longer than REPORT_AFTER: its statement is
 * cancelled, checked again every CANCEL_EVERY_MS until every build has ended.
 */
export async function stopRebuilds(db: PgDatabase): Promise<void> {
  const builds = underWay.get(db);
  while (builds !== undefined && builds.size > 0) {
    const byPid = new Map<number, Rebuild>();
    for (const state of builds.values()) if (state.pid !== undefined) byPid.set(state.pid, state);
    if (byPid.size > 0) {
      await db
        .run(async (sql) => {
          // Only backends of this database: a pid is the server's, and these are this store's builds.
          const held = await sql.query<{ pid: number }>(
            `SELECT build.pid FROM pg_stat_activity build
             WHERE build.pid = ANY($1::int[]) AND build.datname = current_database()
               AND EXISTS (SELECT 1 FROM pg_stat_activity blocker
                           WHERE blocker.pid = ANY(pg_blocking_pids(build.pid))
                             AND blocker.xact_start < now() - interval '${REPORT_AFTER}')`,
            [[...byPid.keys()]],
          );
          if (held.rows.length === 0) return;
          for (const { pid } of held.rows) byPid.get(pid)!.stopping = true;
          await sql.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [
            held.rows.map((row) => row.pid),
          ]);
        })
        .catch(() => {});
    }
    await Promise.race([Promise.all(builds.keys()), sleep(CANCEL_EVERY_MS)]);
  }
}
