/**
 * The PostgreSQL ScheduleStore: schedules and their runs, with the claims that make a schedule
 * fire once across processes. A claim is one statement: an UPDATE moving the schedule's next run
 * from the due time (its row lock queues a second claimer, who then finds the time moved and
 * updates nothing) and the run's INSERT fed by it, so both happen or neither (the unique index on
 * (schedule_id, due_at) refuses a second run of one due time as well).
 */
import type {
  NewRun,
  RunEnd,
  ScheduleStore,
  StoredRun,
  StoredRunStatus,
  StoredRunTrigger,
  StoredSchedule,
} from '@oxydra/types';
import type { PgDatabase } from './database.js';
import { takeXactLock } from './xact-lock.js';

const SCHEDULE_COLUMNS = `id, user_id, name, agent, prompt, kind, spec, timezone, enabled, next_run_at, anchor_at,
  consecutive_failures, disabled_reason, run_token, directive, created_by, created_at, updated_at`;
const RUN_COLUMNS = `id, schedule_id, user_id, due_at, "trigger", missed, status, started_at, finished_at,
  lease_owner, lease_until, agent_id, session_id, output, error, turns, input_tokens, output_tokens, cost_usd, spec_outcome`;

type ScheduleRow = Record<string, unknown> & { id: string };

const scheduleOf = (row: ScheduleRow): StoredSchedule => ({
  id: row.id,
  userId: row.user_id as string,
  name: row.name as string,
  agent: row.agent as string | null,
  prompt: row.prompt as string,
  kind: row.kind as string,
  spec: row.spec as string,
  timezone: row.timezone as string,
  enabled: row.enabled as boolean,
  nextRunAt: row.next_run_at as number | null,
  anchorAt: row.anchor_at as number,
  consecutiveFailures: row.consecutive_failures as number,
  disabledReason: row.disabled_reason as string | null,
  runToken: row.run_token as string | null,
  directive: row.directive as string | null,
  createdBy: row.created_by as string,
  createdAt: row.created_at as number,
  updatedAt: row.updated_at as number,
});

const runOf = (row: ScheduleRow): StoredRun => ({
  id: row.id,
  scheduleId: row.schedule_id as string,
  userId: row.user_id as string,
  dueAt: row.due_at as number,
  trigger: row.trigger as StoredRunTrigger,
  missed: row.missed as number,
  status: row.status as StoredRunStatus,
  startedAt: row.started_at as number,
  finishedAt: row.finished_at as number | null,
  leaseOwner: row.lease_owner as string,
  leaseUntil: row.lease_until as number,
  agentId: row.agent_id as string | null,
  sessionId: row.session_id as string | null,
  output: row.output as string | null,
  error: row.error as string | null,
  turns: row.turns as number | null,
  inputTokens: row.input_tokens as number | null,
  outputTokens: row.output_tokens as number | null,
  costUsd: row.cost_usd as number | null,
  specOutcome: row.spec_outcome as string | null,
});

/** The fields update may change, in the order of its parameters $2.. */
const changeable = (s: StoredSchedule) => [
  s.name,
  s.agent,
  s.prompt,
  s.kind,
  s.spec,
  s.timezone,
  s.enabled,
  s.nextRunAt,
  s.anchorAt,
  s.consecutiveFailures,
  s.disabledReason,
  s.runToken,
  s.updatedAt,
  s.directive,
];

const runArgs = (run: NewRun) => [
  run.id,
  run.scheduleId,
  run.userId,
  run.dueAt,
  run.trigger,
  run.missed,
  run.startedAt,
  run.leaseOwner,
  run.leaseUntil,
];

export class PostgresScheduleStore implements ScheduleStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async insert(schedule: StoredSchedule): Promise<void> {
    await this.#query(
      `INSERT INTO schedules (id, name, agent, prompt, kind, spec, timezone, enabled, next_run_at, anchor_at,
         consecutive_failures, disabled_reason, run_token, updated_at, directive, user_id, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
      [schedule.id, ...changeable(schedule), schedule.userId, schedule.createdBy, schedule.createdAt],
    );
  }

  async update(schedule: StoredSchedule): Promise<void> {
    await this.#query(
      `UPDATE schedules SET name = $2, agent = $3, prompt = $4, kind = $5, spec = $6, timezone = $7,
         enabled = $8, next_run_at = $9, anchor_at = $10, consecutive_failures = $11, disabled_reason = $12,
         run_token = $13, updated_at = $14, directive = $15
       WHERE id = $1`,
      [schedule.id, ...changeable(schedule)],
    );
  }

  async delete(id: string): Promise<void> {
    await this.#query(
      `WITH finished AS (DELETE FROM schedule_runs WHERE schedule_id = $1 AND status <> 'running')
       DELETE FROM schedules WHERE id = $1`,
      [id],
    );
  }

  async get(id: string, userId?: string): Promise<StoredSchedule | undefined> {
    const rows = await this.#query(
      `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE id = $1 AND ($2::text IS NULL OR user_id = $2)`,
      [id, userId ?? null],
    );
    return rows[0] ? scheduleOf(rows[0]) : undefined;
  }

  async named(name: string, userId?: string): Promise<StoredSchedule[]> {
    const rows = await this.#ofUser(userId)(
      `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE name = $1 AND ($2::text IS NULL OR user_id = $2)
       ORDER BY created_at, row_id`,
      [name, userId ?? null],
    );
    return rows.map(scheduleOf);
  }

  async list(userId?: string): Promise<StoredSchedule[]> {
    const rows = await this.#ofUser(userId)(
      userId === undefined
        ? `SELECT ${SCHEDULE_COLUMNS} FROM schedules ORDER BY user_id, created_at, row_id`
        : `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE user_id = $1 ORDER BY created_at, row_id`,
      userId === undefined ? [] : [userId],
    );
    return rows.map(scheduleOf);
  }

  async enabledFor(userId: string | null, runToken: string): Promise<StoredSchedule[]> {
    const rows = await this.#query(
      `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE enabled AND (user_id = $1 OR run_token = $2)
       ORDER BY created_at, row_id`,
      [userId, runToken],
    );
    return rows.map(scheduleOf);
  }

  async due(now: number, limit: number): Promise<StoredSchedule[]> {
    const rows = await this.#query(
      `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE enabled AND next_run_at <= $1
       ORDER BY next_run_at, row_id LIMIT $2`,
      [now, limit],
    );
    return rows.map(scheduleOf);
  }

  async nextDueAt(): Promise<number | undefined> {
    const rows = await this.#query('SELECT min(next_run_at) AS at FROM schedules WHERE enabled', []);
    const at = rows[0]?.at;
    return at === null || at === undefined ? undefined : (at as number);
  }

  async claim(run: NewRun, nextRunAt: number | null): Promise<StoredRun | undefined> {
    const rows = await this.#query(
      `WITH moved AS (
         UPDATE schedules SET next_run_at = $10, updated_at = $7 WHERE id = $2 AND next_run_at = $4 RETURNING id)
       INSERT INTO schedule_runs (id, schedule_id, user_id, due_at, "trigger", missed, status, started_at,
         lease_owner, lease_until)
       SELECT $1, $2, $3, $4, $5, $6, 'running', $7, $8, $9 FROM moved
       RETURNING ${RUN_COLUMNS}`,
      [...runArgs(run), nextRunAt],
    );
    return rows[0] ? runOf(rows[0]) : undefined;
  }

  async startManual(run: NewRun): Promise<StoredRun> {
    const rows = await this.#query(
      `INSERT INTO schedule_runs (id, schedule_id, user_id, due_at, "trigger", missed, status, started_at,
         lease_owner, lease_until)
       VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9) RETURNING ${RUN_COLUMNS}`,
      runArgs(run),
    );
    return runOf(rows[0]!);
  }

  /**
   * Takes the schema's run-slot lock first (a transaction advisory lock, held to the end of the
   * caller's transaction): under READ COMMITTED two claimers would otherwise both count the same
   * free slots and both start runs, past `max_concurrent`. Both statements go in one round trip.
   */
  async running(): Promise<StoredRun[]> {
    const [, found] = await this.#db.run((sql) =>
      Promise.all([
        takeXactLock(sql, 'oxydra-schedule-slots:'),
        sql.query<ScheduleRow>(
          `SELECT ${RUN_COLUMNS} FROM schedule_runs WHERE status = 'running' ORDER BY started_at, row_id`,
        ),
      ]),
    );
    return found.rows.map(runOf);
  }

  async interrupt(runId: string, at: number, error: string): Promise<boolean> {
    return this.#changed(
      `UPDATE schedule_runs SET status = 'interrupted', finished_at = $1, error = $2
       WHERE id = $3 AND status = 'running'`,
      [at, error, runId],
    );
  }

  async renew(owner: string, until: number): Promise<number> {
    const result = await this.#db.run((sql) =>
      sql.query("UPDATE schedule_runs SET lease_until = $1 WHERE lease_owner = $2 AND status = 'running'", [
        until,
        owner,
      ]),
    );
    return result.rowCount ?? 0;
  }

  async finish(runId: string, owner: string, end: RunEnd): Promise<boolean> {
    return this.#changed(
      `UPDATE schedule_runs SET status = $3, finished_at = $4, agent_id = $5, session_id = $6, output = $7,
         error = $8, turns = $9, input_tokens = $10, output_tokens = $11, cost_usd = $12, spec_outcome = $13
       WHERE id = $1 AND lease_owner = $2`,
      [
        runId,
        owner,
        end.status,
        end.finishedAt,
        end.agentId,
        end.sessionId,
        end.output,
        end.error,
        end.turns,
        end.inputTokens,
        end.outputTokens,
        end.costUsd,
        end.specOutcome,
      ],
    );
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    const rows = await this.#query(`SELECT ${RUN_COLUMNS} FROM schedule_runs WHERE id = $1`, [runId]);
    return rows[0] ? runOf(rows[0]) : undefined;
  }

  async history(scheduleId: string, limit: number): Promise<StoredRun[]> {
    const rows = await this.#query(
      `SELECT ${RUN_COLUMNS} FROM schedule_runs WHERE schedule_id = $1
       ORDER BY started_at DESC, row_id DESC LIMIT $2`,
      [scheduleId, limit],
    );
    return rows.map(runOf);
  }

  async trimHistory(scheduleId: string, keep: number): Promise<void> {
    await this.#query(
      `DELETE FROM schedule_runs WHERE schedule_id = $1 AND status <> 'running' AND id NOT IN
         (SELECT id FROM schedule_runs WHERE schedule_id = $1 AND status <> 'running'
          ORDER BY started_at DESC, row_id DESC LIMIT $2)`,
      [scheduleId, keep],
    );
  }

  /**
   * #query, after taking `userId`'s schedules lock (a transaction advisory lock, held to the end
   * of the caller's transaction), both in one round trip: creating a schedule counts the user's
   * and looks for its name, then inserts, and under READ COMMITTED two creations at once would
   * both count before either inserted (eight at once stored eight past a limit of two). Outside a
   * transaction the lock ends with the statement. Without a user, no lock.
   */
  #ofUser(userId: string | undefined): (text: string, args: unknown[]) => Promise<ScheduleRow[]> {
    if (userId === undefined) return (text, args) => this.#query(text, args);
    return async (text, args) => {
      const [, found] = await this.#db.run((sql) =>
        Promise.all([takeXactLock(sql, 'oxydra-schedules-of:', userId), sql.query<ScheduleRow>(text, args)]),
      );
      return found.rows;
    };
  }

  async #query(text: string, args: unknown[]): Promise<ScheduleRow[]> {
    return (await this.#db.run((sql) => sql.query<ScheduleRow>(text, args))).rows;
  }

  async #changed(text: string, args: unknown[]): Promise<boolean> {
    const result = await this.#db.run((sql) => sql.query(text, args));
    return (result.rowCount ?? 0) > 0;
  }
}
