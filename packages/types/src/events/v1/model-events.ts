/**
 * Contract v1: the schemas of what a provider may yield (`ModelEvent`). Objects are strict, so a
 * field added to an event without a schema change fails the contract tests instead of shipping
 * unannounced. Field names are camelCase; `type` values are snake_case.
 */
import { z } from 'zod';

export const finishReasonSchema = z.enum([
  'stop',
  'tool_calls',
  'length',
  'content_filter',
  'refusal',
  'error',
  'other',
]);

export const usageSchema = z.strictObject({
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  totalTokens: z.number().optional(),
  cacheReadTokens: z.number().optional(),
  cacheWriteTokens: z.number().optional(),
  reasoningTokens: z.number().optional(),
  costUsd: z.number().optional(),
  raw: z.unknown().optional(),
});

export const progressKindSchema = z.enum([
  'provider_call',
  'tool_execution',
  'tool_heartbeat',
  'tool_report',
  'rolling_summary',
  'retry',
]);

export const textDeltaEventSchema = z.strictObject({ type: z.literal('text_delta'), text: z.string() });

export const reasoningDeltaEventSchema = z.strictObject({
  type: z.literal('reasoning_delta'),
  text: z.string(),
  signature: z.string().optional(),
  encrypted: z.string().optional(),
  id: z.string().optional(),
});

export const toolCallStartEventSchema = z.strictObject({
  type: z.literal('tool_call_start'),
  index: z.int().nonnegative(),
  id: z.string(),
  name: z.string(),
});

export const toolCallDeltaEventSchema = z.strictObject({
  type: z.literal('tool_call_delta'),
  index: z.int().nonnegative(),
  argumentsDelta: z.string(),
});

export const toolCallEndEventSchema = z.strictObject({
  type: z.literal('tool_call_end'),
  index: z.int().nonnegative(),
  id: z.string(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  rawArguments: z.string(),
  parseError: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const usageEventSchema = z.strictObject({ type: z.literal('usage'), usage: usageSchema });

export const finishEventSchema = z.strictObject({
  type: z.literal('finish'),
  reason: finishReasonSchema,
  rawReason: z.string().nullable().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const progressEventSchema = z.strictObject({
  kind: progressKindSchema,
  message: z.string(),
  turn: z.int().optional(),
  maxTurns: z.int().optional(),
  toolNames: z.array(z.string()).optional(),
  elapsedMs: z.number().optional(),
});

export const progressStreamEventSchema = z.strictObject({
  type: z.literal('progress'),
  progress: progressEventSchema,
});

export const errorEventSchema = z.strictObject({
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
  kind: z.string().optional(),
  retriable: z.boolean().optional(),
});

export const modelEventSchema = z.discriminatedUnion('type', [
  textDeltaEventSchema,
  reasoningDeltaEventSchema,
  toolCallStartEventSchema,
  toolCallDeltaEventSchema,
  toolCallEndEventSchema,
  usageEventSchema,
  finishEventSchema,
  progressStreamEventSchema,
  errorEventSchema,
]);
