/**
 * The store side of firing schedules, each step one transaction of the control store group (so
 * processes sharing the store take turns): claiming due runs, renewing this process's leases,
 * and recording how a run ended. A claim moves the schedule's next run on and records the run
 * together, and only one claimer of a due time wins it (ScheduleStore.claim): a second gateway
 * on the same store finds nothing due, or loses the claim.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { processAlive } from '@oxydra/sandbox';
import type { ControlStoreGroup, ControlStores, NewRun, RunEnd, StoredSchedule } from '@oxydra/types';
import type { KernelAudit } from '../services/audit/audit-log.js';
import { nextRunOf } from './schedule-calls.js';
import { scheduleInfo, scheduleRun, timingOfStored } from './schedule-rows.js';
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
  /** A spec run's outcome (JSON of a SpecSummary). */
  specOutcome?: string;
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
    readonly stores: ControlStoreGroup,
    readonly owner: string,
    readonly limits: ClaimLimits,
    /** Where a schedule paused for its user's lost standing is recorded. */
    readonly audit?: KernelAudit,
  ) {}

  /**
   * Marks runs whose lease ran out as interrupted, then claims what is due, at most as many as
   * there are free slots across every process on this store. A due schedule whose user lost
   * their standing (token-standing.ts) is paused instead, in the same transaction.
   */
  claimDue(
    now: number,
  ): Promise<{ claimed: ClaimedRun[]; interrupted: ScheduleRun[]; paused: ScheduleInfo[] }> {
    return this.stores.transaction(async (tx) => {
      const interrupted = await this.#expireLeases(tx, now);
      const free = this.limits.maxConcurrent - (await tx.schedules.running()).length;
      if (free <= 0) return { claimed: [], interrupted, paused: [] };
      const claimed: ClaimedRun[] = [];
      const paused: ScheduleInfo[] = [];
      for (const schedule of await tx.schedules.due(now, free)) {
        const problem = await standingProblem(tx, schedule);
        if (problem) {
          paused.push(await pauseForStanding(tx, this.audit, schedule, problem, now));
          continue;
        }
        const dueAt = schedule.nextRunAt!;
        const late = now - dueAt > this.limits.catchUpAfterMs;
        const next = nextRunOf(schedule, now) ?? null;
        const missed = late
          ? runsBetween(timingOfStored(schedule), schedule.timezone, dueAt, now, schedule.anchorAt)
          : 0;
        const run = await tx.schedules.claim(
          this.#newRun(schedule, dueAt, late ? 'catch_up' : 'schedule', missed, now),
          next,
        );
        if (!run) continue;
        claimed.push({ schedule: scheduleInfo({ ...schedule, nextRunAt: next }), run: scheduleRun(run) });
      }
      return { claimed, interrupted, paused };
    });
  }

  /**
   * A run asked for by hand; undefined when every slot is taken; `paused` when the schedule's
   * user lost their standing (it is paused, and nothing runs).
   */
  claimManual(scheduleId: string, now: number): Promise<ClaimedRun | { paused: ScheduleInfo } | undefined> {
    return this.stores.transaction(async (tx) => {
      await this.#expireLeases(tx, now);
      const schedule = await tx.schedules.get(scheduleId);
      if (!schedule) return undefined;
      const problem = await standingProblem(tx, schedule);
      if (problem) {
        // Paused even when it was paused already: the reason shown is why it cannot run now.
        return { paused: await pauseForStanding(tx, this.audit, schedule, problem, now) };
      }
      if ((await tx.schedules.running()).length >= this.limits.maxConcurrent) return undefined;
      const run = await tx.schedules.startManual(this.#newRun(schedule, now, 'manual', 0, now));
      return { schedule: scheduleInfo(schedule), run: scheduleRun(run) };
    });
  }

  /** When the next enabled schedule falls due (ms since the epoch), if any. */
  nextDueAt(): Promise<number | undefined> {
    return this.stores.schedules.nextDueAt();
  }

  /** Extends the leases of this process's running runs. */
  async renew(now: number): Promise<void> {
    await this.stores.schedules.renew(this.owner, now + this.limits.leaseMs);
  }

  /** Records how a run ended, counts the schedule's failures, pauses it after too many, trims history. */
  finish(runId: string, outcome: RunOutcome, now: number): Promise<FinishedRun | undefined> {
    return this.stores.transaction(async ({ schedules }) => {
      const before = await schedules.getRun(runId);
      if (!before) return undefined;
      // Also over "interrupted": a process that was only slow (its lease ran out) still knows best.
      await schedules.finish(runId, this.owner, endOf(outcome, now));
      const schedule = await schedules.get(before.scheduleId);
      const run = scheduleRun((await schedules.getRun(runId))!);
      if (!schedule) {
        // Deleted while it ran: nothing to count, no history to keep.
        await schedules.trimHistory(before.scheduleId, 0);
        return undefined;
      }
      let failures = schedule.consecutiveFailures;
      if (outcome.status === 'completed') failures = 0;
      else if (outcome.status === 'failed') failures += 1;
      const auto = this.limits.autoDisableAfter;
      const disabled = outcome.status === 'failed' && auto > 0 && failures >= auto && schedule.enabled;
      const counted: StoredSchedule = {
        ...schedule,
        consecutiveFailures: failures,
        enabled: disabled ? false : schedule.enabled,
        disabledReason: disabled ? `paused after ${failures} failed runs in a row` : schedule.disabledReason,
        updatedAt: now,
      };
      await schedules.update(counted);
      await schedules.trimHistory(schedule.id, this.limits.maxRunHistory);
      return { schedule: scheduleInfo(counted), run, failures, disabled };
    });
  }

  #newRun(schedule: StoredSchedule, dueAt: number, trigger: RunTrigger, missed: number, now: number): NewRun {
    return {
      id: `run_${randomBytes(6).toString('hex')}`,
      scheduleId: schedule.id,
      userId: schedule.userId,
      dueAt,
      trigger,
      missed,
      startedAt: now,
      leaseOwner: this.owner,
      leaseUntil: now + this.limits.leaseMs,
    };
  }

  /**
   * Runs whose process is gone: their lease ran out, or (sooner) their owner was a process of
   * this machine that no longer exists, as after a crash and restart.
   */
  async #expireLeases({ schedules }: ControlStores, now: number): Promise<ScheduleRun[]> {
    const expired = (await schedules.running()).filter(
      (run) => run.leaseUntil < now || deadLocalOwner(run.leaseOwner),
    );
    for (const run of expired) await schedules.interrupt(run.id, now, INTERRUPTED);
    return expired.map((run) =>
      scheduleRun({ ...run, status: 'interrupted', finishedAt: now, error: INTERRUPTED }),
    );
  }
}

/** An outcome as the store records it: every field, unset ones null. */
function endOf(outcome: RunOutcome, now: number): RunEnd {
  return {
    status: outcome.status,
    finishedAt: now,
    agentId: outcome.agentId ?? null,
    sessionId: outcome.sessionId ?? null,
    output: outcome.output ?? null,
    error: outcome.error ?? null,
    turns: outcome.turns ?? null,
    inputTokens: outcome.inputTokens ?? null,
    outputTokens: outcome.outputTokens ?? null,
    costUsd: outcome.costUsd ?? null,
    specOutcome: outcome.specOutcome ?? null,
  };
}

const HOST = hostname();

/** Whether `owner` ("host:pid:nonce") names a process of this machine that has exited. */
function deadLocalOwner(owner: string): boolean {
  const [host, pid] = owner.split(':');
  const id = Number(pid);
  // Not a pid of a process (garbage in the row): never judged dead.
  if (host !== HOST || !Number.isSafeInteger(id) || id <= 0 || id === process.pid) return false;
  return !processAlive(id);
}
