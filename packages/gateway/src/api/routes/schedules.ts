/**
 * Schedules: list, create, pause, resume, run now, delete, and a schedule's runs. A user token
 * works on its own user's schedules only; operator and admin tokens on anyone's (and may create
 * one for a named user).
 */
import { mayUse } from '@oxydra/kernel';
import type { ScheduleInfo, ScheduleRun } from '@oxydra/kernel/scheduler';
import { specRequestSchema } from '@oxydra/kernel/spec';
import { z } from 'zod';
import { ApiError, route } from '../define.js';
import { idParams, iso, scheduleRunSchema, scheduleSchema } from '../schemas.js';

function scheduleJson(info: ScheduleInfo): z.infer<typeof scheduleSchema> {
  return {
    id: info.id,
    name: info.name,
    user_id: info.userId,
    agent: info.agent ?? 'default',
    prompt: info.prompt,
    kind: info.kind,
    timing: info.timing,
    timezone: info.timezone,
    enabled: info.enabled,
    next_run_at: iso(info.nextRunAt),
    consecutive_failures: info.consecutiveFailures,
    disabled_reason: info.disabledReason ?? null,
    created_by: info.createdBy,
    created_at: iso(info.createdAt)!,
    spec: info.directive ?? null,
  };
}

function runJson(run: ScheduleRun): z.infer<typeof scheduleRunSchema> {
  return {
    id: run.id,
    schedule_id: run.scheduleId,
    status: run.status,
    trigger: run.trigger,
    missed: run.missed,
    due_at: iso(run.dueAt)!,
    started_at: iso(run.startedAt)!,
    finished_at: iso(run.finishedAt),
    duration_ms: run.durationMs ?? null,
    turns: run.turns ?? null,
    input_tokens: run.inputTokens ?? null,
    output_tokens: run.outputTokens ?? null,
    cost_usd: run.costUsd ?? null,
    output: run.output ?? null,
    error: run.error ?? null,
    session_id: run.sessionId ?? null,
    spec: run.spec ?? null,
  };
}

const createBody = z.strictObject({
  prompt: z.string().min(1),
  name: z.string().optional(),
  agent: z.string().optional(),
  cron: z.string().optional(),
  every: z.string().optional(),
  at: z.string().optional(),
  timezone: z.string().optional(),
  user_id: z
    .string()
    .max(64)
    .optional()
    .describe('operator and admin tokens: whose schedule (default "default")'),
  spec: specRequestSchema
    .optional()
    .describe("make every run a spec run (docs/spec-runs.md); its outcome is in the run's `spec`"),
});

const one = z.object({ schedule: scheduleSchema });

export function scheduleRoutes() {
  return [
    route({
      method: 'get',
      path: '/schedules',
      tag: 'schedules',
      summary: 'List schedules',
      response: z.object({ schedules: z.array(scheduleSchema) }),
      handler: async ({ kernel, user }) => ({
        schedules: (
          await (await kernel.service('scheduler')).list(user !== undefined ? { userId: user } : {})
        ).map(scheduleJson),
      }),
    }),
    route({
      method: 'post',
      path: '/schedules',
      tag: 'schedules',
      summary: 'Create a schedule',
      body: createBody,
      status: 201,
      response: one,
      handler: async ({ kernel, body, user, actor }) => {
        if (body.user_id !== undefined && !mayUse(body.user_id, { userId: user })) {
          throw new ApiError(403, 'forbidden', `this token acts as user ${user}`);
        }
        const { user_id, ...spec } = body;
        const scope = { actor, ...(user !== undefined ? { userId: user } : {}) };
        return {
          schedule: scheduleJson(await (await kernel.service('scheduler')).schedule(spec, scope, user_id)),
        };
      },
    }),
    ...(['pause', 'resume'] as const).map((action) =>
      route({
        method: 'post',
        path: `/schedules/{id}/${action}`,
        tag: 'schedules',
        summary: action === 'pause' ? 'Pause a schedule' : 'Resume a schedule (from now)',
        params: idParams,
        response: one,
        handler: async ({ kernel, params, user, actor }) => {
          const scope = { actor, ...(user !== undefined ? { userId: user } : {}) };
          return {
            schedule: scheduleJson(await (await kernel.service('scheduler'))[action](params.id, scope)),
          };
        },
      }),
    ),
    route({
      method: 'post',
      path: '/schedules/{id}/run',
      tag: 'schedules',
      summary: 'Run a schedule now (recorded as a manual run)',
      params: idParams,
      status: 202,
      response: z.object({ run: scheduleRunSchema }),
      handler: async ({ kernel, params, user, actor }) => {
        const scope = { actor, ...(user !== undefined ? { userId: user } : {}) };
        const { run, done } = await (await kernel.service('scheduler')).runNow(params.id, scope);
        // Recorded and announced by the scheduler when it ends; the client follows it in its runs.
        void done.catch(() => {});
        return { run: runJson(run) };
      },
    }),
    route({
      method: 'delete',
      path: '/schedules/{id}',
      tag: 'schedules',
      summary: 'Delete a schedule and its runs',
      params: idParams,
      response: one,
      handler: async ({ kernel, params, user, actor }) => {
        const scope = { actor, ...(user !== undefined ? { userId: user } : {}) };
        return {
          schedule: scheduleJson(await (await kernel.service('scheduler')).unschedule(params.id, scope)),
        };
      },
    }),
    route({
      method: 'get',
      path: '/schedules/{id}/runs',
      tag: 'schedules',
      summary: "A schedule's runs, newest first",
      params: idParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) }),
      response: z.object({ runs: z.array(scheduleRunSchema) }),
      handler: async ({ kernel, params, query, user }) => ({
        runs: (
          await (
            await kernel.service('scheduler')
          ).history(params.id, user !== undefined ? { userId: user } : {}, query.limit)
        ).map(runJson),
      }),
    }),
  ];
}
