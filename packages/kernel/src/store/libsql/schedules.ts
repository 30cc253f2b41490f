/**
 * The libSQL ScheduleStore over the kernel database's schedules and schedule_runs tables (the
 * embedded default of the contract in @oxydra/types). A claim is a conditional UPDATE of the
 * schedule's next run plus the run's INSERT in one write transaction, so of two processes
 * claiming one due time exactly one wins (the unique index on (schedule_id, due_at) says so a
 * second time). Statements are prepared once per store.
 */
import type { NewRun, RunEnd, ScheduleStore, StoredRun, StoredSchedule } from '@oxydra/types';
import { atomically, type KernelDb } from '../kernel-db.js';
import { type RunRow, runOf, type ScheduleRow, scheduleOf } from './schedule-records.js';

const FIELDS = `name = @name, agent = @agent, prompt = @prompt, kind = @kind, spec = @spec, timezone = @timezone,
  enabled = @enabled, next_run_at = @next_run_at, anchor_at = @anchor_at, consecutive_failures = @consecutive_failures,
  disabled_reason = @disabled_reason, run_token = @run_token, directive = @directive, updated_at = @updated_at`;

const rowOf = (schedule: StoredSchedule): ScheduleRow => ({
  id: schedule.id,
  user_id: schedule.userId,
  name: schedule.name,
  agent: schedule.agent,
  prompt: schedule.prompt,
  kind: schedule.kind,
  spec: schedule.spec,
  timezone: schedule.timezone,
  enabled: schedule.enabled ? 1 : 0,
  next_run_at: schedule.nextRunAt,
  anchor_at: schedule.anchorAt,
  consecutive_failures: schedule.consecutiveFailures,
  disabled_reason: schedule.disabledReason,
  run_token: schedule.runToken,
  directive: schedule.directive,
  created_by: schedule.createdBy,
  created_at: schedule.createdAt,
  updated_at: schedule.updatedAt,
});

export class LibsqlScheduleStore implements ScheduleStore<'sync'> {
  readonly #db: KernelDb;
  readonly #sql;

  constructor(db: KernelDb) {
    this.#db = db;
    const prepare = (sql: string) => db.prepare(sql);
    this.#sql = {
      insert: prepare(
        `INSERT INTO schedules (id, user_id, name, agent, prompt, kind, spec, timezone, enabled, next_run_at, anchor_at,
           consecutive_failures, disabled_reason, run_token, directive, created_by, created_at, updated_at)
         VALUES (@id, @user_id, @name, @agent, @prompt, @kind, @spec, @timezone, @enabled, @next_run_at, @anchor_at,
           @consecutive_failures, @disabled_reason, @run_token, @directive, @created_by, @created_at, @updated_at)`,
      ),
      update: prepare(`UPDATE schedules SET ${FIELDS} WHERE id = @id`),
      deleteFinished: prepare("DELETE FROM schedule_runs WHERE schedule_id = ? AND status != 'running'"),
      delete: prepare('DELETE FROM schedules WHERE id = ?'),
      get: prepare('SELECT * FROM schedules WHERE id = ?'),
      getOfUser: prepare('SELECT * FROM schedules WHERE id = ? AND user_id = ?'),
      named: prepare('SELECT * FROM schedules WHERE name = ? ORDER BY created_at, rowid'),
      namedOfUser: prepare(
        'SELECT * FROM schedules WHERE name = ? AND user_id = ? ORDER BY created_at, rowid',
      ),
      list: prepare('SELECT * FROM schedules ORDER BY user_id, created_at, rowid'),
      listOfUser: prepare('SELECT * FROM schedules WHERE user_id = ? ORDER BY created_at, rowid'),
      enabledFor: prepare('SELECT * FROM schedules WHERE enabled = 1 AND (user_id = ? OR run_token = ?)'),
      due: prepare(
        'SELECT * FROM schedules WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at LIMIT ?',
      ),
      nextDueAt: prepare(
        'SELECT min(next_run_at) AS at FROM schedules WHERE enabled = 1 AND next_run_at IS NOT NULL',
      ),
      moveNext: prepare(
        'UPDATE schedules SET next_run_at = ?, updated_at = ? WHERE id = ? AND next_run_at = ?',
      ),
      insertRun: prepare(
        `INSERT INTO schedule_runs (id, schedule_id, user_id, due_at, trigger, missed, status, started_at, lease_owner, lease_until)
         VALUES (@id, @scheduleId, @userId, @dueAt, @trigger, @missed, 'running', @startedAt, @leaseOwner, @leaseUntil)`,
      ),
      running: prepare("SELECT * FROM schedule_runs WHERE status = 'running'"),
      interrupt: prepare(
        "UPDATE schedule_runs SET status = 'interrupted', finished_at = ?, error = ? WHERE id = ? AND status = 'running'",
      ),
      renew: prepare("UPDATE schedule_runs SET lease_until = ? WHERE lease_owner = ? AND status = 'running'"),
      finish: prepare(
        `UPDATE schedule_runs SET status = @status, finished_at = @finishedAt, agent_id = @agentId, session_id = @sessionId,
           output = @output, error = @error, turns = @turns, input_tokens = @inputTokens, output_tokens = @outputTokens,
           cost_usd = @costUsd, spec_outcome = @specOutcome WHERE id = @id AND lease_owner = @owner`,
      ),
      getRun: prepare('SELECT * FROM schedule_runs WHERE id = ?'),
      history: prepare(
        'SELECT * FROM schedule_runs WHERE schedule_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?',
      ),
      trim: prepare(
        `DELETE FROM schedule_runs WHERE schedule_id = ? AND status != 'running' AND id NOT IN
           (SELECT id FROM schedule_runs WHERE schedule_id = ? AND status != 'running'
            ORDER BY started_at DESC, rowid DESC LIMIT ?)`,
      ),
    };
  }

  insert(schedule: StoredSchedule): void {
    this.#sql.insert.run(rowOf(schedule));
  }

  update(schedule: StoredSchedule): void {
    // Named parameters: the statement takes the columns it sets and leaves the others.
    this.#sql.update.run(rowOf(schedule));
  }

  delete(id: string): void {
    atomically(this.#db, () => {
      this.#sql.deleteFinished.run(id);
      this.#sql.delete.run(id);
    });
  }

  get(id: string, userId?: string): StoredSchedule | undefined {
    const row = (userId === undefined ? this.#sql.get.get(id) : this.#sql.getOfUser.get(id, userId)) as
      | ScheduleRow
      | undefined;
    return row ? scheduleOf(row) : undefined;
  }

  named(name: string, userId?: string): StoredSchedule[] {
    const rows = userId === undefined ? this.#sql.named.all(name) : this.#sql.namedOfUser.all(name, userId);
    return (rows as ScheduleRow[]).map(scheduleOf);
  }

  list(userId?: string): StoredSchedule[] {
    const rows = userId === undefined ? this.#sql.list.all() : this.#sql.listOfUser.all(userId);
    return (rows as ScheduleRow[]).map(scheduleOf);
  }

  enabledFor(userId: string | null, runToken: string): StoredSchedule[] {
    return (this.#sql.enabledFor.all(userId, runToken) as ScheduleRow[]).map(scheduleOf);
  }

  due(now: number, limit: number): StoredSchedule[] {
    return (this.#sql.due.all(now, limit) as ScheduleRow[]).map(scheduleOf);
  }

  nextDueAt(): number | undefined {
    const row = this.#sql.nextDueAt.get() as { at: number | null } | undefined;
    return row?.at == null ? undefined : Number(row.at);
  }

  claim(run: NewRun, nextRunAt: number | null): StoredRun | undefined {
    return atomically(this.#db, () => {
      const moved = this.#sql.moveNext.run(nextRunAt, run.startedAt, run.scheduleId, run.dueAt);
      if (moved.changes !== 1) return undefined;
      return this.#start(run);
    });
  }

  startManual(run: NewRun): StoredRun {
    return this.#start(run);
  }

  running(): StoredRun[] {
    return (this.#sql.running.all() as RunRow[]).map(runOf);
  }

  interrupt(runId: string, at: number, error: string): boolean {
    return this.#sql.interrupt.run(at, error, runId).changes > 0;
  }

  renew(owner: string, until: number): number {
    return this.#sql.renew.run(until, owner).changes;
  }

  finish(runId: string, owner: string, end: RunEnd): boolean {
    return this.#sql.finish.run({ ...end, id: runId, owner }).changes > 0;
  }

  getRun(runId: string): StoredRun | undefined {
    const row = this.#sql.getRun.get(runId) as RunRow | undefined;
    return row ? runOf(row) : undefined;
  }

  history(scheduleId: string, limit: number): StoredRun[] {
    return (this.#sql.history.all(scheduleId, limit) as RunRow[]).map(runOf);
  }

  trimHistory(scheduleId: string, keep: number): void {
    this.#sql.trim.run(scheduleId, scheduleId, keep);
  }

  #start(run: NewRun): StoredRun {
    this.#sql.insertRun.run(run);
    return this.getRun(run.id)!;
  }
}
