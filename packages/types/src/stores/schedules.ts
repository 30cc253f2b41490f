/**
 * Schedules and their runs as a store contract, with the run claims that make a schedule fire
 * once across every process sharing the store: a claim moves the schedule's next run on and
 * records the run in one atomic step that only one claimer of a due time can win; a running
 * run holds a lease its process renews; a run whose lease ran out is marked interrupted; only
 * the lease's owner records how its run ended. Times are ms since the epoch, made by the
 * caller (the scheduler's clock). The kernel database is the embedded default
 * (packages/kernel/src/store/libsql/schedules.ts); PostgreSQL (issue 33) implements the same
 * interface (a claim is a conditional UPDATE, or `FOR UPDATE SKIP LOCKED`) and passes the suite.
 */
import type { StoreAnswer, StoreMode } from './answer.js';

export interface StoredSchedule {
  id: string;
  userId: string;
  /** Unique per user. */
  name: string;
  agent: string | null;
  prompt: string;
  /** The timing's kind and text ("cron" and "0 9 * * 1-5", ...), kept as given. */
  kind: string;
  spec: string;
  timezone: string;
  enabled: boolean;
  nextRunAt: number | null;
  anchorAt: number;
  consecutiveFailures: number;
  disabledReason: string | null;
  /** The gateway token the schedule runs under; null: its owner's. */
  runToken: string | null;
  /** A spec schedule's goal, constraints and acceptance criteria (JSON); null: plain runs. */
  directive: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export type StoredRunTrigger = 'schedule' | 'catch_up' | 'manual';
export type StoredRunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface StoredRun {
  id: string;
  scheduleId: string;
  userId: string;
  dueAt: number;
  trigger: StoredRunTrigger;
  missed: number;
  status: StoredRunStatus;
  startedAt: number;
  finishedAt: number | null;
  leaseOwner: string;
  leaseUntil: number;
  agentId: string | null;
  sessionId: string | null;
  output: string | null;
  error: string | null;
  turns: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  /** A spec run's outcome (JSON: passed, per-criterion results); null: a plain run. */
  specOutcome: string | null;
}

/** A run as it starts: running, leased to `leaseOwner` until `leaseUntil`. */
export type NewRun = Pick<
  StoredRun,
  'id' | 'scheduleId' | 'userId' | 'dueAt' | 'trigger' | 'missed' | 'startedAt' | 'leaseOwner' | 'leaseUntil'
>;

/** How a run ended, as its lease owner records it. */
export type RunEnd = Pick<
  StoredRun,
  | 'agentId'
  | 'sessionId'
  | 'output'
  | 'error'
  | 'turns'
  | 'inputTokens'
  | 'outputTokens'
  | 'costUsd'
  | 'specOutcome'
> & { status: Exclude<StoredRunStatus, 'running'>; finishedAt: number };

export interface ScheduleStore<M extends StoreMode = 'async'> {
  /** Stores a new schedule; an id, or a (userId, name), that exists already is refused. */
  insert(schedule: StoredSchedule): StoreAnswer<void, M>;
  /** Replaces the stored fields of schedule `schedule.id` (id, userId, createdBy, createdAt stay). */
  update(schedule: StoredSchedule): StoreAnswer<void, M>;
  /** Deletes the schedule and its finished runs (a running run stays until it ends). */
  delete(id: string): StoreAnswer<void, M>;
  /** The schedule `id`; with `userId`, only if it is that user's. */
  get(id: string, userId?: string): StoreAnswer<StoredSchedule | undefined, M>;
  /**
   * Schedules called `name` (of `userId` when given), oldest first. With `userId`, inside a
   * transaction, as list: another transaction reading the same user's waits for this one.
   */
  named(name: string, userId?: string): StoreAnswer<StoredSchedule[], M>;
  /**
   * `userId`'s schedules oldest first; without it every schedule, by user then age. With `userId`,
   * inside a transaction, another transaction reading the same user's schedules waits until this
   * one ends, so a count then an insert keeps `max_schedules_per_user` (and one name per user).
   */
  list(userId?: string): StoreAnswer<StoredSchedule[], M>;
  /** Enabled schedules of `userId`, or running under token `runToken`. */
  enabledFor(userId: string | null, runToken: string): StoreAnswer<StoredSchedule[], M>;
  /** Enabled schedules whose next run is at or before `now`, soonest first, at most `limit`. */
  due(now: number, limit: number): StoreAnswer<StoredSchedule[], M>;
  /** The soonest next run of an enabled schedule, undefined when none is due ever. */
  nextDueAt(): StoreAnswer<number | undefined, M>;

  /**
   * Claims the run of `run.scheduleId` due at `run.dueAt`: moves the schedule's next run from
   * dueAt to `nextRunAt` and stores the run, both or neither. undefined when the schedule's next
   * run is no longer dueAt (another claimer won); refused (nothing changes) when a run of that
   * due time exists already.
   */
  claim(run: NewRun, nextRunAt: number | null): StoreAnswer<StoredRun | undefined, M>;
  /** Stores a run asked for by hand (no due time is claimed; several may exist). */
  startManual(run: NewRun): StoreAnswer<StoredRun, M>;
  /**
   * Every running run. In a transaction of the control store group it holds the run slots until
   * that transaction ends: another transaction calling running() waits, so two claimers that count
   * the running runs and then start one never both see the same free slot.
   */
  running(): StoreAnswer<StoredRun[], M>;
  /** Marks a running run interrupted (its lease ran out); false when it is not running any more. */
  interrupt(runId: string, at: number, error: string): StoreAnswer<boolean, M>;
  /** Extends the leases of `owner`'s running runs to `until`; resolves to how many. */
  renew(owner: string, until: number): StoreAnswer<number, M>;
  /** Records how the run ended, only for its lease owner (also over "interrupted"); false otherwise. */
  finish(runId: string, owner: string, end: RunEnd): StoreAnswer<boolean, M>;
  getRun(runId: string): StoreAnswer<StoredRun | undefined, M>;
  /** The schedule's runs, newest first, at most `limit`. */
  history(scheduleId: string, limit: number): StoreAnswer<StoredRun[], M>;
  /** Deletes all but the newest `keep` finished runs of the schedule. */
  trimHistory(scheduleId: string, keep: number): StoreAnswer<void, M>;
}
