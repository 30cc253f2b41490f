/** Rows of the schedules and schedule_runs tables (kernel.db) as the scheduler's records. */
import { describeTiming, type TimingKind } from './timing.js';
import type { RunTrigger, ScheduleInfo, ScheduleRun, ScheduleRunStatus } from './types.js';

export interface ScheduleRow {
  id: string;
  user_id: string;
  name: string;
  agent: string | null;
  prompt: string;
  kind: TimingKind;
  spec: string;
  timezone: string;
  enabled: number;
  next_run_at: number | null;
  anchor_at: number;
  consecutive_failures: number;
  disabled_reason: string | null;
  /** The gateway token it runs under (token-standing.ts); null: the owner's. */
  run_token: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface RunRow {
  id: string;
  schedule_id: string;
  user_id: string;
  due_at: number;
  trigger: RunTrigger;
  missed: number;
  status: ScheduleRunStatus;
  started_at: number;
  finished_at: number | null;
  lease_owner: string;
  lease_until: number;
  agent_id: string | null;
  session_id: string | null;
  output: string | null;
  error: string | null;
  turns: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
}

export function scheduleInfo(row: ScheduleRow): ScheduleInfo {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    ...(row.agent !== null ? { agent: row.agent } : {}),
    prompt: row.prompt,
    kind: row.kind,
    spec: row.spec,
    timing: describeTiming({ kind: row.kind, spec: row.spec }),
    timezone: row.timezone,
    enabled: row.enabled === 1,
    ...(row.next_run_at !== null && row.enabled === 1 ? { nextRunAt: Number(row.next_run_at) } : {}),
    consecutiveFailures: row.consecutive_failures,
    ...(row.disabled_reason !== null ? { disabledReason: row.disabled_reason } : {}),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function scheduleRun(row: RunRow): ScheduleRun {
  const finishedAt = row.finished_at !== null ? Number(row.finished_at) : undefined;
  return {
    id: row.id,
    scheduleId: row.schedule_id,
    userId: row.user_id,
    dueAt: Number(row.due_at),
    trigger: row.trigger,
    missed: row.missed,
    status: row.status,
    startedAt: Number(row.started_at),
    ...(finishedAt !== undefined ? { finishedAt, durationMs: finishedAt - Number(row.started_at) } : {}),
    ...(row.agent_id !== null ? { agentId: row.agent_id } : {}),
    ...(row.session_id !== null ? { sessionId: row.session_id } : {}),
    ...(row.output !== null ? { output: row.output } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.turns !== null ? { turns: row.turns } : {}),
    ...(row.input_tokens !== null ? { inputTokens: row.input_tokens } : {}),
    ...(row.output_tokens !== null ? { outputTokens: row.output_tokens } : {}),
    ...(row.cost_usd !== null ? { costUsd: row.cost_usd } : {}),
  };
}
