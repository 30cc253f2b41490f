/**
 * A CONCURRENTLY step of the model's HNSW index (the drop before a bulk load, the build after it,
 * a rebuild in the background: bulk-load.ts, rebuild.ts), with what it waits for reported.
 *
 * CREATE and DROP INDEX CONCURRENTLY block no writer, but wait for transactions: for those
 * holding locks on search_chunks, and (the build's last phase) for every transaction in the
 * database whose snapshot is older than the build's, whatever it touches. A session left idle in
 * a transaction (a psql without COMMIT, a client that leaked one) holds the step up for as long
 * as it stays so. No timeout ends the step: a build cut short is thrown away (left invalid, the
 * next open rebuilds it from scratch), and waiting is what the step is there to do. Instead,
 * while it runs, another connection asks the server every POLL_MS which sessions block it
 * (pg_blocking_pids), and each transaction that has been open longer than REPORT_AFTER is named
 * once, with how to end it: docs/postgres.md, "The search index".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PgDatabase, Sql } from '../database.js';
import { buildMemorySql, bulkLockSql, createHnswSql, dropHnswSql, hnswName } from './hnsw.js';
import type { ModelSql } from './model-sql.js';

const POLL_MS = 1000;
/** How long a blocking transaction has been open before it is named: writers' last milliseconds. */
export const REPORT_AFTER = '2 seconds';

/** Where the search index's background work says what went wrong or what it waits for. */
export type Warn = (message: string) => void;

export const warnOnStderr: Warn = (message) => {
  process.stderr.write(`warning: search index: ${message}\n`);
};

interface Blocker {
  pid: number;
  state: string | null;
  since: string;
  application: string;
}

function describe(blocker: Blocker): string {
  const app = blocker.application ? `, application "${blocker.application}"` : '';
  return `pid ${blocker.pid} (${blocker.state ?? 'unknown state'} since ${blocker.since}${app})`;
}

/** Names each long-open transaction blocking the session `pid` until `signal` aborts. */
async function watch(db: PgDatabase, pid: number, what: string, warn: Warn, signal: AbortSignal) {
  const named = new Set<string>();
  try {
    await sleep(POLL_MS, undefined, { signal });
    await db.session(async (sql) => {
      for (;;) {
        const { rows } = await sql.query<Blocker>(
          `SELECT pid, state, to_char(xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') AS since,
                  application_name AS application
           FROM pg_stat_activity
           WHERE pid = ANY(pg_blocking_pids($1)) AND xact_start < now() - interval '${REPORT_AFTER}'`,
          [pid],
        );
        for (const blocker of rows) {
          const key = `${blocker.pid} ${blocker.since}`;
          if (named.has(key) || signal.aborted) continue;
          named.add(key);
          warn(
            `${what} waits for a transaction open in the database: ${describe(blocker)}; it goes on once that transaction ends (commit or roll it back, or SELECT pg_terminate_backend(${blocker.pid}))`,
          );
        }
        await sleep(POLL_MS, undefined, { signal });
      }
    });
  } catch {
    // Aborted (the step is over), or the watch itself failed: it only ever reports.
  }
}

/** A session (db.session) doing CONCURRENTLY steps: its backend and its schema, for the reports. */
export interface StepSession {
  sql: Sql;
  pid: number;
  schema: string;
}

/**
 * Takes the model's bulk lock (hnsw.ts) for the session `sql`: waiting for it (a bulk load), or
 * trying only (a rebuild: undefined when some session holds it, which builds the index itself).
 */
export async function lockForSteps(
  sql: Sql,
  model: ModelSql,
  how: 'wait' | 'try',
): Promise<StepSession | undefined> {
  const lock = how === 'wait' ? 'pg_advisory_lock' : 'pg_try_advisory_lock';
  const { rows } = await sql.query<{ locked: boolean | string; pid: number; schema: string }>(
    `SELECT ${lock}(${bulkLockSql(model.key)}) AS locked, pg_backend_pid() AS pid, current_schema() AS schema`,
  );
  const { locked, pid, schema } = rows[0]!;
  // pg_advisory_lock returns void (''), once it has the lock.
  return locked === false ? undefined : { sql, pid, schema };
}

/**
 * Runs `statement` (a CONCURRENTLY step) on the session, naming the transactions it waits for;
 * `what` says what the step does ("building the HNSW index ...").
 */
async function concurrently(
  db: PgDatabase,
  session: StepSession,
  statement: string,
  what: string,
  warn: Warn,
): Promise<void> {
  const done = new AbortController();
  const watching = watch(db, session.pid, what, warn, done.signal);
  try {
    await session.sql.query(statement);
  } finally {
    done.abort();
    await watching;
  }
}

/** Drops the model's HNSW index, if there is one, without blocking writers. */
export function dropHnswConcurrently(
  db: PgDatabase,
  session: StepSession,
  model: ModelSql,
  warn: Warn = warnOnStderr,
) {
  const what = `dropping the HNSW index ${session.schema}.${hnswName(model)}`;
  return concurrently(db, session, dropHnswSql(model, true), what, warn);
}

/** Builds the model's HNSW index without blocking writers, its graph in memory (hnsw.ts). */
export async function buildHnswConcurrently(
  db: PgDatabase,
  session: StepSession,
  model: ModelSql,
  warn: Warn = warnOnStderr,
): Promise<void> {
  await session.sql.query(buildMemorySql('session'));
  const what = `building the HNSW index ${session.schema}.${hnswName(model)}`;
  await concurrently(db, session, createHnswSql(model, true), what, warn);
}
