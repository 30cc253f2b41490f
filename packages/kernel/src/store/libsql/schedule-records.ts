/** Rows of the kernel database's schedules and schedule_runs tables as the store's records. */
import type { StoredRun, StoredSchedule } from '@oxydra/types';

/** `userId` → `user_id`: a record's field as its column. */
type Column<Field extends string> = Field extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${Column<Tail>}`
  : Field;

/** A record as its table's row: snake_case columns, booleans as 0/1. */
type RowOf<Record> = {
  [Field in keyof Record as Column<Field & string>]: Record[Field] extends boolean ? number : Record[Field];
};

export type ScheduleRow = RowOf<StoredSchedule>;
export type RunRow = RowOf<StoredRun>;

const maybe = (value: number | null) => (value === null ? null : Number(value));

export const scheduleOf = (row: ScheduleRow): StoredSchedule => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  agent: row.agent,
  prompt: row.prompt,
  kind: row.kind,
  spec: row.spec,
  timezone: row.timezone,
  enabled: row.enabled === 1,
  nextRunAt: maybe(row.next_run_at),
  anchorAt: Number(row.anchor_at),
  consecutiveFailures: Number(row.consecutive_failures),
  disabledReason: row.disabled_reason,
  runToken: row.run_token,
  directive: row.directive,
  createdBy: row.created_by,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export const runOf = (row: RunRow): StoredRun => ({
  id: row.id,
  scheduleId: row.schedule_id,
  userId: row.user_id,
  dueAt: Number(row.due_at),
  trigger: row.trigger,
  missed: Number(row.missed),
  status: row.status,
  startedAt: Number(row.started_at),
  finishedAt: maybe(row.finished_at),
  leaseOwner: row.lease_owner,
  leaseUntil: Number(row.lease_until),
  agentId: row.agent_id,
  sessionId: row.session_id,
  output: row.output,
  error: row.error,
  turns: maybe(row.turns),
  inputTokens: maybe(row.input_tokens),
  outputTokens: maybe(row.output_tokens),
  costUsd: maybe(row.cost_usd),
  specOutcome: row.spec_outcome,
});
