/** The schedule store's records (@oxydra/types ScheduleStore) as the scheduler's public records. */
import type { StoredRun, StoredSchedule } from '@oxydra/types';
import { type SpecFields, type SpecSummary, specFieldsSchema } from '../spec/request.js';
import { describeTiming, type TimingKind } from './timing.js';
import type { ScheduleInfo, ScheduleRun } from './types.js';

/** The stored timing as the timing module reads it (the store keeps kind and spec as given). */
export const timingOfStored = (schedule: Pick<StoredSchedule, 'kind' | 'spec'>) => ({
  kind: schedule.kind as TimingKind,
  spec: schedule.spec,
});

/** A stored spec as the runner takes it; null when it does not read back (a run then fails, never runs plain). */
function storedSpec(json: string): SpecFields | null {
  try {
    const parsed = specFieldsSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function storedOutcome(json: string): SpecSummary | undefined {
  try {
    return JSON.parse(json) as SpecSummary;
  } catch {
    return undefined;
  }
}

export function scheduleInfo(schedule: StoredSchedule): ScheduleInfo {
  return {
    id: schedule.id,
    userId: schedule.userId,
    name: schedule.name,
    ...(schedule.agent !== null ? { agent: schedule.agent } : {}),
    prompt: schedule.prompt,
    kind: schedule.kind as TimingKind,
    spec: schedule.spec,
    timing: describeTiming(timingOfStored(schedule)),
    timezone: schedule.timezone,
    enabled: schedule.enabled,
    ...(schedule.nextRunAt !== null && schedule.enabled ? { nextRunAt: schedule.nextRunAt } : {}),
    consecutiveFailures: schedule.consecutiveFailures,
    ...(schedule.disabledReason !== null ? { disabledReason: schedule.disabledReason } : {}),
    createdBy: schedule.createdBy,
    createdAt: schedule.createdAt,
    updatedAt: schedule.updatedAt,
    ...(schedule.directive !== null ? { directive: storedSpec(schedule.directive) } : {}),
  };
}

export function scheduleRun(run: StoredRun): ScheduleRun {
  const finishedAt = run.finishedAt ?? undefined;
  return {
    id: run.id,
    scheduleId: run.scheduleId,
    userId: run.userId,
    dueAt: run.dueAt,
    trigger: run.trigger,
    missed: run.missed,
    status: run.status,
    startedAt: run.startedAt,
    ...(finishedAt !== undefined ? { finishedAt, durationMs: finishedAt - run.startedAt } : {}),
    ...(run.agentId !== null ? { agentId: run.agentId } : {}),
    ...(run.sessionId !== null ? { sessionId: run.sessionId } : {}),
    ...(run.output !== null ? { output: run.output } : {}),
    ...(run.error !== null ? { error: run.error } : {}),
    ...(run.turns !== null ? { turns: run.turns } : {}),
    ...(run.inputTokens !== null ? { inputTokens: run.inputTokens } : {}),
    ...(run.outputTokens !== null ? { outputTokens: run.outputTokens } : {}),
    ...(run.costUsd !== null ? { costUsd: run.costUsd } : {}),
    ...(run.specOutcome !== null ? withOutcome(run.specOutcome) : {}),
  };
}

function withOutcome(json: string): { spec?: SpecSummary } {
  const spec = storedOutcome(json);
  return spec ? { spec } : {};
}
