/**
 * The PostgreSQL ClusterStore: which gateway processes share the database and which runs each
 * holds (issue 33 item 3). Every time is the database's clock (now(), the transaction's start),
 * never a process's, so machines with skewed clocks agree on who is stale.
 *
 * What must hold across processes is decided by the database:
 * - A holder's limit: a claim takes a transaction advisory lock on (schema, holder) before
 *   counting the holder's runs and inserting, so two claims of one user (or one token), from any
 *   process, take turns. A user's and a token's runs are apart (user_id, token_id).
 * - One run per session: the partial unique index on session_id; the insert does nothing on that
 *   conflict (waiting for a claim in flight to commit or roll back) and the holder is reported.
 *   A session's claim may carry a write of its state (the gateway's running record), made by a
 *   later statement of its transaction only when the insert placed the run (state-statements.ts).
 * - No orphan runs: a claim locks its process row (FOR KEY SHARE, as the foreign key would) and
 *   refuses when it is gone. A reaper locks the stale rows FOR UPDATE, which waits for those
 *   claims and makes later ones wait for the reap, then finds the process gone.
 * - Each run reaped once: reapers lock stale processes FOR UPDATE SKIP LOCKED, so two at once
 *   take disjoint sets; the runs are read and removed by a later statement of the same
 *   transaction, whose snapshot sees every claim that committed before the locks were taken.
 */
import { checkStateWrite, nowIso } from '@oxydra/memory/store-input';
import {
  type ClusterProcess,
  type ClusterRun,
  type ClusterStore,
  type NewClusterRun,
  OxydraError,
  PROCESS_KINDS,
  type ProcessInfo,
  type ProcessKind,
  type RunClaim,
  SessionNotFoundError,
  type SessionStateWrite,
} from '@oxydra/types';
import type { ClaimedSessions } from './claimed-sessions.js';
import type { PgDatabase, Sql } from './database.js';
import { stampOf, stampStatement } from './session-rows.js';
import { FOREIGN_KEY_VIOLATION, hasCode } from './sql-errors.js';
import { stateStatement } from './state-statements.js';
import { takeXactLock } from './xact-lock.js';

/** A run's claim given back ($1: the run id); SessionStore.endTurn sends it in its transaction too. */
export const RELEASE_RUN_SQL = 'DELETE FROM cluster_runs WHERE run_id = $1';

const UNIQUE_VIOLATION = '23505';
/** A timestamptz as ISO 8601 UTC with milliseconds, as the other stores write times. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** `$n` milliseconds before the database's now(). */
const ago = (param: string) => `now() - ${param}::double precision * interval '1 millisecond'`;

const PROCESS_COLUMNS = `id, kind, host, pid, url, ${iso('started_at')} AS started_at, ${iso('beat_at')} AS beat_at`;
const RUN_COLUMNS = `run_id, process_id, user_id, token_id, session_id, turn_id, ${iso('started_at')} AS started_at`;
/** Oldest first, by the stored times (qualified: not the formatted columns of the same name). */
const runOrder = (table: string) => `ORDER BY ${table}.started_at, ${table}.row_id`;

interface ProcessRow {
  id: string;
  kind: ProcessKind;
  host: string;
  pid: number;
  url: string | null;
  started_at: string;
  beat_at: string;
}

interface RunRow {
  run_id: string;
  process_id: string;
  user_id: string | null;
  token_id: string | null;
  session_id: string | null;
  turn_id: string | null;
  started_at: string;
}

const processOf = (row: ProcessRow): ClusterProcess => ({
  id: row.id,
  kind: row.kind,
  host: row.host,
  pid: row.pid,
  ...(row.url !== null ? { url: row.url } : {}),
  startedAt: row.started_at,
  beatAt: row.beat_at,
});

const runOf = (row: RunRow): ClusterRun => ({
  runId: row.run_id,
  processId: row.process_id,
  userId: row.user_id,
  tokenId: row.token_id,
  sessionId: row.session_id,
  turnId: row.turn_id,
  startedAt: row.started_at,
});

/** Bad input to a ClusterStore method (refused before anything is written). */
export class ClusterInputError extends OxydraError {
  constructor(message: string) {
    super('usage_error', message);
  }
}

/** A claim by a process that is not registered: it never beat, left, or was reaped as stale. */
export class ClusterProcessUnknownError extends OxydraError {
  constructor(processId: string) {
    super(
      'usage_error',
      `cluster process ${JSON.stringify(processId)} is not registered (it never beat, left, or was reaped as stale): it cannot claim runs`,
      { hint: 'beat before claiming; a process that was reaped must treat its runs as interrupted' },
    );
  }
}

/** A runId claimed while a run with that id is going. */
export class ClusterRunExistsError extends OxydraError {
  constructor(runId: string) {
    super('usage_error', `run ${JSON.stringify(runId)} is claimed already`);
  }
}

function checkId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw new ClusterInputError(
      `${field} must be a string of 1-512 characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function checkOptionalId(field: string, value: unknown): string | null {
  return value === undefined ? null : checkId(field, value);
}

function checkMs(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ClusterInputError(`${field} must be a number of milliseconds ≥ 0, got ${String(value)}`);
  }
  return value;
}

export class PostgresClusterStore implements ClusterStore {
  readonly #db: PgDatabase;
  readonly #claimed: ClaimedSessions | undefined;

  /** `claimed`: where a session turn's claim leaves the session it read (the session store's). */
  constructor(db: PgDatabase, claimed?: ClaimedSessions) {
    this.#db = db;
    this.#claimed = claimed;
  }

  async beat(process: ProcessInfo): Promise<boolean> {
    const id = checkId('process id', process.id);
    const host = checkId('process host', process.host);
    if (!Number.isInteger(process.pid) || process.pid < 0 || process.pid > 2 ** 31 - 1) {
      throw new ClusterInputError(`process pid must be a whole number ≥ 0, got ${String(process.pid)}`);
    }
    const url = checkOptionalId('process url', process.url);
    const kind = process.kind ?? 'gateway';
    if (!PROCESS_KINDS.includes(kind)) {
      throw new ClusterInputError(
        `process kind must be one of ${PROCESS_KINDS.join(', ')}, got ${String(kind)}`,
      );
    }
    // xmax is 0 on a row this statement inserted, the updating transaction's id on one it updated.
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ registered: boolean }>(
        `INSERT INTO cluster_processes (id, kind, host, pid, url, started_at, beat_at)
         VALUES ($1, $5, $2, $3, $4, now(), now())
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, url = excluded.url,
           kind = excluded.kind, beat_at = now()
         RETURNING xmax = 0 AS registered`,
        [id, host, process.pid, url, kind],
      ),
    );
    return rows[0]?.registered === true;
  }

  async processes(withinMs: number): Promise<ClusterProcess[]> {
    const within = checkMs('withinMs', withinMs);
    const { rows } = await this.#db.run((sql) =>
      sql.query<ProcessRow>(
        `SELECT ${PROCESS_COLUMNS} FROM cluster_processes WHERE beat_at >= ${ago('$1')}
         ORDER BY cluster_processes.started_at, id`,
        [within],
      ),
    );
    return rows.map(processOf);
  }

  async claim(run: NewClusterRun, limits: { perUser: number }): Promise<RunClaim> {
    const runId = checkId('runId', run.runId);
    const processId = checkId('processId', run.processId);
    const [holderColumn, holderId] = holderOf(run);
    const sessionId = checkOptionalId('sessionId', run.sessionId);
    const turnId = checkOptionalId('turnId', run.turnId);
    const state = checkClaimState(run.state, sessionId);
    const perUser = limits?.perUser;
    if (typeof perUser !== 'number' || !Number.isInteger(perUser) || perUser < 1) {
      throw new ClusterInputError(`perUser must be a whole number ≥ 1, got ${String(perUser)}`);
    }
    // A claim that holds no session only counts against its holder's limit: it commits without
    // waiting for the WAL flush (docs/postgres.md, "Warm turn latency"). Lost to a crash of the
    // server, the holder has one run fewer counted until that run ends, and everything the run
    // wrote after it is lost with it (the log is written in order). A session's claim waits:
    // lost, it would let a second turn into a session whose turn goes on.
    const durability = sessionId === null ? 'relaxed' : 'flushed';
    const fields: ClaimFields = {
      runId,
      processId,
      holderColumn,
      holderId,
      sessionId,
      turnId,
      perUser,
      state,
    };
    try {
      // The lock, the reads and the insert, with the COMMIT right behind them: one round trip.
      // Placed, or refused by what the reads say, that is the answer (nothing else was written).
      const sent = sendBatch(this.#db, fields, durability);
      if (run.beforeCommit && sessionId !== null) {
        // Asked to: placed is answered once the statements are, while the COMMIT waits for the
        // flush; `committed` says when it is stored (or that it was not).
        const placed = claimAnswer(await sent.answered, fields, this.#claimed);
        if (placed?.ok) return { ...placed, committed: sent.committed.then(() => {}, claimError(fields)) };
      }
      const first = await sent.committed;
      const answer = claimAnswer(first, fields, this.#claimed);
      if (answer) return answer;
      // Neither: a claim of the same session by another holder (another lock) was in flight.
      // Again in a transaction that waits for it and tries until the session is held.
      return await this.#db.atomic(async (sql) => {
        const again = claimAnswer(await sendClaim(sql, fields), fields);
        if (again) return again;
        // The insert waits for the claim in flight, and does nothing if it committed. Its holder
        // may be released before we look, so try again then.
        for (;;) {
          const inserted = await sql.query(
            `INSERT INTO cluster_runs (run_id, process_id, ${holderColumn}, session_id, turn_id, started_at)
             VALUES ($1, $2, $3, $4, $5, now())
             ON CONFLICT (session_id) WHERE session_id IS NOT NULL DO NOTHING`,
            [runId, processId, holderId, sessionId, turnId],
          );
          // Placed here, the state write was not sent: the caller writes it on its own.
          if ((inserted.rowCount ?? 0) > 0) return { ok: true, ...(state ? { stateWritten: false } : {}) };
          const holder = await sessionHolder(sql, sessionId ?? '');
          if (holder) return { ok: false, reason: 'session_busy', holder };
        }
      }, durability);
    } catch (error) {
      return claimError(fields)(error);
    }
  }

  async release(runId: string): Promise<boolean> {
    const id = checkId('runId', runId);
    this.#claimed?.released(id);
    const result = await this.#db.run((sql) => sql.query(RELEASE_RUN_SQL, [id]));
    return (result.rowCount ?? 0) > 0;
  }

  async reap(staleMs: number): Promise<ClusterRun[]> {
    const stale = checkMs('staleMs', staleMs);
    return this.#db.atomic(async (sql) => {
      const locked = await sql.query<{ id: string }>(
        `SELECT id FROM cluster_processes WHERE beat_at < ${ago('$1')} FOR UPDATE SKIP LOCKED`,
        [stale],
      );
      const ids = locked.rows.map((row) => row.id);
      if (ids.length === 0) return [];
      // A later statement: its snapshot holds every claim that committed before the locks.
      const { rows } = await sql.query<RunRow>(
        `WITH gone AS (DELETE FROM cluster_runs WHERE process_id = ANY($1::text[]) RETURNING *)
         SELECT ${RUN_COLUMNS} FROM gone ${runOrder('gone')}`,
        [ids],
      );
      await sql.query('DELETE FROM cluster_processes WHERE id = ANY($1::text[])', [ids]);
      return rows.map(runOf);
    });
  }

  async leave(processId: string): Promise<void> {
    const id = checkId('processId', processId);
    // The cascade removes its runs, claims that committed while this waited for the row included.
    await this.#db.run((sql) => sql.query('DELETE FROM cluster_processes WHERE id = $1', [id]));
  }

  async runs(filter: { userId?: string; tokenId?: string; sessionId?: string } = {}): Promise<ClusterRun[]> {
    const userId = checkOptionalId('userId', filter.userId);
    const tokenId = checkOptionalId('tokenId', filter.tokenId);
    const sessionId = checkOptionalId('sessionId', filter.sessionId);
    const { rows } = await this.#db.run((sql) =>
      sql.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM cluster_runs
         WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR token_id = $2)
           AND ($3::text IS NULL OR session_id = $3)
         ${runOrder('cluster_runs')}`,
        [userId, tokenId, sessionId],
      ),
    );
    return rows.map(runOf);
  }
}

/** The run's holder as the column it is kept in and its id: exactly one of userId and tokenId. */
function holderOf(run: NewClusterRun): ['user_id' | 'token_id', string] {
  const { userId, tokenId } = run as { userId?: unknown; tokenId?: unknown };
  if ((userId === undefined) === (tokenId === undefined)) {
    throw new ClusterInputError('a run has exactly one holder: give userId or tokenId, not both or neither');
  }
  return userId !== undefined
    ? ['user_id', checkId('userId', userId)]
    : ['token_id', checkId('tokenId', tokenId)];
}

async function sessionHolder(sql: Sql, sessionId: string): Promise<ClusterRun | undefined> {
  const { rows } = await sql.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM cluster_runs WHERE session_id = $1`, [
    sessionId,
  ]);
  return rows[0] ? runOf(rows[0]) : undefined;
}

interface ClaimFields {
  runId: string;
  processId: string;
  /** One of two fixed names (holderOf), never input. */
  holderColumn: string;
  holderId: string;
  sessionId: string | null;
  turnId: string | null;
  perUser: number;
  /** Written in the claim's transaction when it places the run (NewClusterRun's `state`). */
  state: SessionStateWrite | undefined;
}

/** A claim's state write, checked as setState checks one; only a session's claim has one. */
function checkClaimState(state: SessionStateWrite | undefined, sessionId: string | null) {
  if (state === undefined) return undefined;
  if (sessionId === null) throw new ClusterInputError('a state write comes with the claim of a session only');
  checkStateWrite(state.key, state.value, state.expectedEpoch);
  return { key: state.key, value: state.value, expectedEpoch: state.expectedEpoch };
}

/**
 * A claim's statements, sent together (the pool pipelines, connection.ts): one round trip, not
 * five. The server runs them in this order, so each read and the insert come after the lock. The
 * insert checks what the reads report, at its own later snapshot: when it placed the run, the
 * claim holds whatever the reads said (a holder may have gone in between).
 */
function sendClaim(sql: Sql, f: ClaimFields) {
  return Promise.all([
    takeXactLock(
      sql,
      f.holderColumn === 'user_id' ? 'oxydra-cluster-user:' : 'oxydra-cluster-token:',
      f.holderId,
    ),
    sql.query('SELECT 1 FROM cluster_processes WHERE id = $1 FOR KEY SHARE', [f.processId]),
    f.sessionId === null ? undefined : sessionHolder(sql, f.sessionId),
    sql.query<{ running: number }>(
      `SELECT count(*) AS running FROM cluster_runs WHERE ${f.holderColumn} = $1`,
      [f.holderId],
    ),
    sql.query(
      `INSERT INTO cluster_runs (run_id, process_id, ${f.holderColumn}, session_id, turn_id, started_at)
       SELECT $1, $2, $3, $4, $5, now()
       WHERE EXISTS (SELECT 1 FROM cluster_processes WHERE id = $2)
         AND NOT EXISTS (SELECT 1 FROM cluster_runs WHERE session_id = $4)
         AND (SELECT count(*) FROM cluster_runs WHERE ${f.holderColumn} = $3) < $6
       ON CONFLICT (session_id) WHERE session_id IS NOT NULL DO NOTHING`,
      [f.runId, f.processId, f.holderId, f.sessionId, f.turnId, f.perUser],
    ),
    // A session's row and stamp, for the turn's opening of it (ClaimedSessions): after the
    // insert, so when it placed the claim this read sees every turn of the session that ended
    // before (their releases committed before the holder's read said the session was free).
    f.sessionId === null ? undefined : sendStampRead(sql, f.sessionId),
    // The state write, guarded by the insert: it writes only when this claim holds the session.
    f.state === undefined || f.sessionId === null
      ? undefined
      : sendStateWrite(sql, f.sessionId, f.runId, f.state),
  ]);
}

/**
 * The claim's batch: `answered` once every statement is (before the COMMIT's flush returns),
 * `committed` once the transaction is, with the same answers. A failed statement rejects both.
 */
function sendBatch(db: PgDatabase, fields: ClaimFields, durability: 'flushed' | 'relaxed') {
  let answers!: ReturnType<typeof sendClaim>;
  let sent!: () => void;
  const started = new Promise<void>((resolve) => {
    sent = resolve;
  });
  const committed = db.batch((sql) => {
    answers = sendClaim(sql, fields);
    sent();
    return answers;
  }, durability);
  // The batch failing before it sent anything (no connection) fails the answers too.
  const answered = Promise.race([started.then(() => answers), committed]);
  committed.catch(() => {});
  answered.catch(() => {});
  return { answered, committed };
}

/** A failed claim's error as the caller should see it (thrown). */
function claimError(f: ClaimFields) {
  return (error: unknown): never => {
    if (hasCode(error, UNIQUE_VIOLATION)) throw new ClusterRunExistsError(f.runId);
    // The state write's session was deleted between its EXISTS and the insert's foreign-key check.
    if (f.state && hasCode(error, FOREIGN_KEY_VIOLATION)) throw new SessionNotFoundError(f.sessionId ?? '');
    throw error;
  };
}

function sendStateWrite(sql: Sql, sessionId: string, runId: string, state: SessionStateWrite) {
  const write = stateStatement(sessionId, state.key, state.value, state.expectedEpoch, nowIso(), runId);
  return sql.query(write.text, write.values);
}

function sendStampRead(sql: Sql, sessionId: string) {
  const read = stampStatement(sessionId, true);
  return sql.query<Parameters<typeof stampOf>[0]>(read.text, read.values);
}

/** What sendClaim's answers settle: placed, or refused; undefined when neither (a claim in flight). */
function claimAnswer(
  [, registered, holder, counted, placed, session, written]: Awaited<ReturnType<typeof sendClaim>>,
  f: ClaimFields,
  claimed?: ClaimedSessions,
): RunClaim | undefined {
  if ((placed.rowCount ?? 0) > 0) {
    const row = session?.rows[0];
    if (row && f.sessionId !== null) claimed?.put(f.sessionId, f.runId, stampOf(row, true));
    return { ok: true, ...(f.state ? { stateWritten: (written?.rowCount ?? 0) === 1 } : {}) };
  }
  if (registered.rowCount === 0) throw new ClusterProcessUnknownError(f.processId);
  if (holder) return { ok: false, reason: 'session_busy', holder };
  const running = counted.rows[0]?.running ?? 0;
  if (running >= f.perUser) return { ok: false, reason: 'user_limit', running };
  return undefined;
}
