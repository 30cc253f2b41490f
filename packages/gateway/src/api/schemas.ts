/**
 * The REST API's shared shapes (snake_case on the wire), each named for the OpenAPI document's
 * components. Handlers build these from the kernel's records in the route files.
 */
import { z } from 'zod';

export const errorSchema = z
  .object({
    error: z.object({
      message: z.string().describe('what went wrong, and the fix when there is one'),
      type: z
        .string()
        .describe('invalid_request_error, authentication_error, permission_error, server_error'),
      code: z.string().describe('stable machine-readable code, e.g. not_found, forbidden, invalid_request'),
    }),
  })
  .meta({ id: 'Error' });

export const idParams = z.object({ id: z.string().min(1).max(200) });

export const usageSchema = z
  .object({ input_tokens: z.number().nullable(), output_tokens: z.number().nullable() })
  .meta({ id: 'Usage' });

export const agentSchema = z
  .object({
    id: z.string(),
    parent_id: z.string().nullable(),
    name: z.string(),
    status: z.enum(['starting', 'running', 'idle', 'completed', 'failed', 'killed']),
    session_id: z.string().nullable(),
    user_id: z.string().nullable(),
    started_at: z.string().describe('ISO time'),
    turns: z.number(),
    usage: usageSchema,
    cost_usd: z.number().nullable(),
  })
  .meta({ id: 'Agent' });

export const sessionSchema = z
  .object({
    session_id: z.string(),
    display_name: z.string().optional(),
    agent_name: z.string(),
    channel_origin: z.string(),
    user_id: z.string().nullable(),
    created_at: z.string(),
    last_active_at: z.string(),
    archived: z.boolean(),
    message_count: z.number().optional(),
  })
  .meta({ id: 'Session' });

export const scheduleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    user_id: z.string(),
    agent: z.string(),
    prompt: z.string(),
    kind: z.enum(['cron', 'every', 'once']),
    timing: z.string().describe('"cron 0 9 * * 1-5", "every 15m", "once 2026-12-01T09:00"'),
    timezone: z.string(),
    enabled: z.boolean(),
    next_run_at: z.string().nullable(),
    consecutive_failures: z.number(),
    disabled_reason: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'Schedule' });

export const scheduleRunSchema = z
  .object({
    id: z.string(),
    schedule_id: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'cancelled', 'interrupted']),
    trigger: z.enum(['schedule', 'catch_up', 'manual']),
    missed: z.number(),
    due_at: z.string(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    turns: z.number().nullable(),
    input_tokens: z.number().nullable(),
    output_tokens: z.number().nullable(),
    cost_usd: z.number().nullable(),
    output: z.string().nullable(),
    error: z.string().nullable(),
    session_id: z.string().nullable(),
  })
  .meta({ id: 'ScheduleRun' });

export const noteSchema = z
  .object({
    id: z.string(),
    text: z.string(),
    tags: z.array(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Note' });

export const auditEntrySchema = z
  .object({
    seq: z.number(),
    ts: z.string(),
    actor: z.string(),
    action: z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) }),
    resource: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const okSchema = z.object({ ok: z.literal(true) }).meta({ id: 'Ok' });

/** ISO time of a millisecond timestamp, or null. */
export const iso = (ms: number | undefined | null): string | null =>
  ms === undefined || ms === null ? null : new Date(ms).toISOString();
