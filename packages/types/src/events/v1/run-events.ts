/**
 * Contract v1: the schemas of what the runtime and the kernel add (`RunEvent`), and of the
 * kernel's lifecycle events that `oxydra run --json` prints for sub-agents. Strict objects,
 * camelCase fields, snake_case `type` values (see model-events.ts).
 */
import { z } from 'zod';
import { usageSchema } from './model-events.js';

export const turnStartEventSchema = z.strictObject({
  type: z.literal('turn_start'),
  turn: z.int().positive(),
  maxTurns: z.int().positive(),
});

export const toolExecutionStartEventSchema = z.strictObject({
  type: z.literal('tool_execution_start'),
  id: z.string(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
});

export const toolExecutionEndEventSchema = z.strictObject({
  type: z.literal('tool_execution_end'),
  id: z.string(),
  name: z.string(),
  isError: z.boolean(),
  content: z.string(),
  durationMs: z.number().nonnegative(),
  data: z.unknown().optional(),
  dataOmittedBytes: z.int().min(-1).optional(),
});

export const userMessageEventSchema = z.strictObject({
  type: z.literal('user_message'),
  text: z.string(),
  kind: z.enum(['steering', 'follow_up']),
});

export const auditHeadSchema = z.strictObject({ seq: z.int().nonnegative(), hash: z.string() });

export const runFailureSchema = z.strictObject({
  code: z.string(),
  message: z.string(),
  kind: z.string().optional(),
  retryAfterMs: z.number().nonnegative().optional(),
  attempts: z.int().positive().optional(),
});

export const runEndEventSchema = z.strictObject({
  type: z.enum(['run_completed', 'run_failed']),
  text: z.string(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  turns: z.int().nonnegative(),
  sessionId: z.string().optional(),
  auditHead: auditHeadSchema.optional(),
  error: runFailureSchema.optional(),
});

export const runEventSchema = z.discriminatedUnion('type', [
  turnStartEventSchema,
  toolExecutionStartEventSchema,
  toolExecutionEndEventSchema,
  userMessageEventSchema,
  runEndEventSchema,
]);

/** The kernel's lifecycle events (agent spawned/exited, approvals), as sub-agent --json lines carry them. */
export const lifecycleEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('agent_spawned'),
    agentId: z.string(),
    parentAgentId: z.string().optional(),
    name: z.string(),
    task: z.string(),
  }),
  z.strictObject({
    type: z.literal('agent_exited'),
    agentId: z.string(),
    status: z.enum(['completed', 'failed', 'killed']),
    reason: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('approval_requested'),
    id: z.string(),
    agentId: z.string(),
    tool: z.string(),
    summary: z.string(),
    /** Why it is asked when the call would otherwise run (the taint policy). */
    reason: z.string().optional(),
    expiresAt: z.string(),
  }),
  z.strictObject({
    type: z.literal('approval_resolved'),
    id: z.string(),
    agentId: z.string(),
    allow: z.boolean(),
    by: z.enum(['respond', 'timeout', 'cancelled']),
  }),
]);
