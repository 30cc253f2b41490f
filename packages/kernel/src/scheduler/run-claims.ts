/**
 * The database side of firing schedules, each step one write transaction (BEGIN IMMEDIATE, so
 * processes sharing kernel.db take turns): claiming due runs, renewing this process's leases,
 * and recording how a run ended. Claiming moves next_run_at on and inserts the run together:
 * a second gateway on the same database finds nothing due, and the unique index on
 * (schedule_id, due_at) would refuse a second insert anyway.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KernelAudit } from '../services/audit/audit-log.js';
import { type KernelDb, writeTransaction } from '../store/kernel-db.js';
import { nextRunOf } from './schedule-calls.js';
import { type RunRow, type ScheduleRow, scheduleInfo, scheduleRun } from './schedule-rows.js';
import { runsBetween } from './timing.js';
import { pauseForStanding, standingProblem } from './token-standing.js';
import type { RunTrigger, ScheduleInfo, ScheduleRun, ScheduleRunStatus } from './types.js';

export interface ClaimedRun {
  schedule: ScheduleInfo;
  run: ScheduleRun;
}

export interface RunOutcome {
  status: Exclude<ScheduleRunStatus, 'running'>;
  output?: string;
  error?: string;
  agentId?: string;
  sessionId?: string;
  turns?: number;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
}

export interface FinishedRun {
  schedule: ScheduleInfo;
  run: ScheduleRun;
  /** The schedule's failures in a row after this run. */
  failures: number;
  /** This run paused the schedule. */
  disabled: boolean;
}

export interface ClaimLimits {
  maxConcurrent: number;
  leaseMs: number;
  /** A run due longer ago than this was missed while nothing ran: a catch-up. */
  catchUpAfterMs: number;
  autoDisableAfter: number;
  maxRunHistory: number;
}

const INTERRUPTED = 'interrupted: the process running it stopped before it ended';

export class RunClaims {
  constructor(
    readonly db: KernelDb,
    readonly owner: string,
    readonly limits: ClaimLimits,
    /** Where a schedule paused for its user's lost standing is recorded. */
    readonly audit?: KernelAudit,
  ) {}

  /**
   * Marks runs whose lease ran out as interrupted, then claims what is due, at most as many as
   * there are free slots across every process on this database. A due schedule whose user lost
   * their standing (token-standing.ts) is paused instead, in the same transaction.
   */
  claimDue(now: number): { claimed: ClaimedRun[]; interrupted: ScheduleRun[]; paused: ScheduleInfo[] } {
    const { db } = this;
    return writeTransaction(db, () => {
      const interrupted = this.#expireLeases(now);
      const free = this.limits.maxConcurrent - this.#runningCount();
      if (free <= 0) return { claimed: [], interrupted, paused: [] };
      const due = db
        .prepare(
          'SELECT * FROM schedules WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at LIMIT ?',
        )
        .all(now, free) as ScheduleRow[];
      const claimed: ClaimedRun[] = [];
      const paused: ScheduleInfo[] = [];
      for (const row of due) {
        const problem = standingProblem(db, row);
        if (problem) {
          paused.push(pauseForStanding(db, this.audit, row, problem, now));
          continue;
        }
        const dueAt = Number(row.next_run_at);
        const late = now - dueAt > this.limits.catchUpAfterMs;
        const next = nextRunOf(row, now);
        const moved = db
          .prepare('UPDATE schedules SET next_run_at = ?, updated_at = ? WHERE id = ? AND next_run_at = ?')
          .run(next ?? null, now, row.id, dueAt);
        if (moved.changes !== 1) continue;
        const missed = late
          ? runsBetween({ kind: row.kind, spec: row.spec }, row.timezone, dueAt, now, Number(row.anchor_at))
          : 0;
        const run = this.#insertRun(row, dueAt, late ? 'catch_up' : 'schedule', missed, now);
        claimed.push({ schedule: scheduleInfo({ ...row, next_run_at: next ?? null }), run });
      }
      return { claimed, interrupted, paused };
    });
  }

  /**
   * A run asked for by hand; undefined when every slot is taken; `paused` when the schedule's
   * user lost their standing (it is paused, and nothing runs).
   */
  claimManual(scheduleId: string, now: number): ClaimedRun | { paused: ScheduleInfo } | undefined {
    return writeTransaction(this.db, () => {
      this.#expireLeases(now);
      const row = this.db.prepare('SELECT * FROM schedules WHERE id = ?').get(scheduleId) as
        | ScheduleRow
        | undefined;
      if (!row) return undefined;
      const problem = standingProblem(this.db, row);
      if (problem) {
        // Paused even when it was paused already: the reason shown is why it cannot run now.
        return { paused: pauseForStanding(this.db, this.audit, row, problem, now) };
      }
      if (this.#runningCount() >= this.limits.maxConcurrent) return undefined;
      return { schedule: scheduleInfo(row), run: this.#insertRun(row, now, 'manual', 0, now) };
    });
  }

  /** When the next enabled schedule falls due (ms since the epoch), if any. */
  nextDueAt(): number | undefined {
    const row = this.db
      .prepare('SELECT min(next_run_at) AS at FROM schedules WHERE enabled = 1 AND next_run_at IS NOT NULL')
      .get() as { at: number | null } | undefined;
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }

  /** Extends the leases of this process's running runs. */
  renew(now: number): void {
    this.db
      .prepare("UPDATE schedule_runs SET lease_until = ? WHERE lease_owner = ? AND status = 'running'")
      .run(now + this.limits.leaseMs, this.owner);
  }

  /** Records how a run ended, counts the schedule's failures, pauses it after too many, trims history. */
  finish(runId: string, outcome: RunOutcome, now: number): FinishedRun | undefined {
    const { db } = this;
    return writeTransaction(db, () => {
      const before = db.prepare('SELECT * FROM schedule_runs WHERE id = ?').get(runId) as RunRow | undefined;
      if (!before) return undefined;
      // Also over "interrupted": a process that was only slow (its lease ran out) still knows best.
      db.prepare(
        `UPDATE schedule_runs SET status = ?, finished_at = ?, agent_id = ?, session_id = ?, output = ?, error = ?,
           turns = ?, input_tokens = ?, output_tokens = ?, cost_usd = ? WHERE id = ? AND lease_owner = ?`,
      ).run(
        outcome.status,
        now,
        outcome.agentId ?? null,
        outcome.sessionId ?? null,
        outcome.output ?? null,
        outcome.error ?? null,
        outcome.turns ?? null,
        outcome.inputTokens ?? null,
        outcome.outputTokens ?? null,
        outcome.costUsd ?? null,
        runId,
        this.owner,
      );
      const row = db.prepare('SELECT * FROM schedules WHERE id = ?').get(before.schedule_id) as
        | ScheduleRow
        | undefined;
      const run = scheduleRun(db.prepare('SELECT * FROM schedule_runs WHERE id = ?').get(runId) as RunRow);
      if (!row) {
        // Deleted while it ran: nothing to count, no history to keep.
        db.prepare("DELETE FROM schedule_runs WHERE schedule_id = ? AND status != 'running'").run(
          before.schedule_id,
        );
        return undefined;
      }
      let failures = row.consecutive_failures;
      if (outcome.status === 'completed') failures = 0;
      else if (outcome.status === 'failed') failures += 1;
      const auto = this.limits.autoDisableAfter;
      const disabled = outcome.status === 'failed' && auto > 0 && failures >= auto && row.enabled === 1;
      db.prepare(
        `UPDATE schedules SET consecutive_failures = ?, enabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ?`,
      ).run(
        failures,
        disabled ? 0 : row.enabled,
        disabled ? `paused after ${failures} failed runs in a row` : row.disabled_reason,
        now,
        row.id,
      );
      db.prepare(
        `DELETE FROM schedule_runs WHERE schedule_id = ? AND status != 'running' AND id NOT IN
           (SELECT id FROM schedule_runs WHERE schedule_id = ? AND status != 'running'
            ORDER BY started_at DESC, rowid DESC LIMIT ?)`,
      ).run(row.id, row.id, this.limits.maxRunHistory);
      const schedule = scheduleInfo(
        db.prepare('SELECT * FROM schedules WHERE id = ?').get(row.id) as ScheduleRow,
      );
      return { schedule, run, failures, disabled };
    });
  }

  #insertRun(row: ScheduleRow, dueAt: number, trigger: RunTrigger, missed: number, now: number): ScheduleRun {
    const id = `run_${randomBytes(6).toString('hex')}`;
    this.db
      .prepare(
        `INSERT INTO schedule_runs (id, schedule_id, user_id, due_at, trigger, missed, status, started_at, lease_owner, lease_until)
         VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)`,
      )
      .run(id, row.id, row.user_id, dueAt, trigger, missed, now, this.owner, now + this.limits.leaseMs);
    return scheduleRun(this.db.prepare('SELECT * FROM schedule_runs WHERE id = ?').get(id) as RunRow);
  }

  #runningCount(): number {
    const { count } = this.db
      .prepare("SELECT count(*) AS count FROM schedule_runs WHERE status = 'running'")
      .get() as {
      count: number;
    };
    return count;
  }

  /**
   * Runs whose process is gone: their lease ran out, or (sooner) their owner was a process of
   * this machine that no longer exists, as after a crash and restart.
   */
  #expireLeases(now: number): ScheduleRun[] {
    const running = this.db.prepare("SELECT * FROM schedule_runs WHERE status = 'running'").all() as RunRow[];
    const expired = running.filter((row) => Number(row.lease_until) < now || deadLocalOwner(row.lease_owner));
    const mark = this.db.prepare(
      "UPDATE schedule_runs SET status = 'interrupted', finished_at = ?, error = ? WHERE id = ? AND status = 'running'",
    );
    for (const row of expired) mark.run(now, INTERRUPTED, row.id);
    return expired.map((row) =>
      scheduleRun({ ...row, status: 'interrupted', finished_at: now, error: INTERRUPTED }),
    );
  }
}

const HOST = hostname();

/** Whether `owner` ("host:pid:nonce") names a process of this machine that has exited. */
function deadLocalOwner(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== HOST || pid === undefined || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    // EPERM: it exists but is another user's; only ESRCH means gone.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
