/** The scheduler's records, as hosts (the CLI, the gateway, the agent tools) see them. */
import type { SpecFields, SpecRequest, SpecSummary } from '../spec/request.js';
import type { TimingKind } from './timing.js';

export interface ScheduleInfo {
  id: string;
  userId: string;
  name: string;
  /** The [agents.<name>] it runs; undefined: the default agent. */
  agent?: string;
  prompt: string;
  kind: TimingKind;
  /** The cron expression, the interval in seconds, or the one time as given. */
  spec: string;
  /** "cron 0 9 * * 1-5", "every 15m", "once 2026-12-01T09:00". */
  timing: string;
  timezone: string;
  enabled: boolean;
  /** When it runs next (ms since the epoch); undefined: paused, or a one-time schedule that ran. */
  nextRunAt?: number;
  consecutiveFailures: number;
  /** Why it was paused by the scheduler (failures) or by whom. */
  disabledReason?: string;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** Set: every run is a spec run (docs/spec-runs.md); null: stored but unreadable (its runs fail). */
  directive?: SpecFields | null;
}

export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
export type ScheduleRunStatus = (typeof RUN_STATUSES)[number];

/** schedule: on time; catch_up: due while nothing was running; manual: run-now. */
export type RunTrigger = 'schedule' | 'catch_up' | 'manual';

export interface ScheduleRun {
  id: string;
  scheduleId: string;
  userId: string;
  /** The time the run was due (ms); for a manual run, when it was asked for. */
  dueAt: number;
  trigger: RunTrigger;
  /** Runs that fell due while nothing was running, stood for by this one. */
  missed: number;
  status: ScheduleRunStatus;
  startedAt: number;
  finishedAt?: number;
  agentId?: string;
  sessionId?: string;
  /** The answer (bounded). */
  output?: string;
  error?: string;
  turns?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Dollars; undefined when a call's price was unknown. */
  costUsd?: number;
  durationMs?: number;
  /** A spec schedule's run: passed, and the last attempt's per-criterion results. */
  spec?: SpecSummary;
}

/** What a new schedule says. Operator limits (turns, dollars) are not part of it. */
export interface ScheduleSpec {
  name?: string;
  prompt: string;
  agent?: string;
  cron?: string;
  every?: string;
  at?: string;
  timezone?: string;
  /** Make every run a spec run: goal, constraints, acceptance criteria (`true`: crystallized each run). */
  spec?: SpecRequest;
}

/** A change to a schedule: any of its fields; a new timing replaces the old one. */
export interface ScheduleChange {
  name?: string;
  prompt?: string;
  cron?: string;
  every?: string;
  at?: string;
  timezone?: string;
  enabled?: boolean;
}

/** Said to the schedule's user when one of its runs ends (the gateway's scheduled_notification). */
export interface ScheduleNotification {
  schedule: ScheduleInfo;
  run: ScheduleRun;
  /** The schedule has failed notify_after_failures times or more in a row. */
  alert: boolean;
  /** This failure paused the schedule (auto_disable_after_failures). */
  disabled: boolean;
}
