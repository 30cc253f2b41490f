/**
 * The runner's control socket protocol (Oxydra's RunnerControl / RunnerControlResponse):
 * length-prefixed JSON frames `{"op": ..., "payload": ...}` on `<ws>/ipc/runner-control.sock`,
 * one response per request.
 */
import { ISOLATION_TIERS } from '@oxydra/types';
import { z } from 'zod';
import { startupStatusSchema } from './startup-status.js';

export const LOG_ROLES = ['runtime', 'sidecar', 'all'] as const;
export const LOG_STREAMS = ['stdout', 'stderr', 'both'] as const;
export const LOG_TAIL_DEFAULT = 200;
export const LOG_TAIL_MAX = 1000;
/** A logs response never exceeds this (Oxydra's limit): the oldest lines go first. */
export const LOG_RESPONSE_MAX_BYTES = 128 * 1024;

export const logsRequestSchema = z.object({
  role: z.enum(LOG_ROLES).default('runtime'),
  stream: z.enum(LOG_STREAMS).default('both'),
  tail: z.int().positive().optional(),
  /** Accepted for compatibility; process-file logs carry no timestamps to filter on. */
  since: z.string().optional(),
  format: z.enum(['text', 'json']).default('text'),
});
export type LogsRequest = z.output<typeof logsRequestSchema>;

export const controlRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('health_check'), payload: z.unknown().optional() }),
  z.object({ op: z.literal('shutdown_user'), payload: z.object({ user_id: z.string().min(1) }) }),
  z.object({ op: z.literal('logs'), payload: logsRequestSchema.prefault({}) }),
]);
export type ControlRequest = z.input<typeof controlRequestSchema>;
export type ParsedControlRequest = z.output<typeof controlRequestSchema>;

const logEntrySchema = z.object({
  timestamp: z.string().optional(),
  source: z.enum(['process_file', 'docker_api']),
  role: z.string(),
  stream: z.string(),
  message: z.string(),
});
export type LogEntry = z.output<typeof logEntrySchema>;

const healthStatusSchema = z.object({
  user_id: z.string(),
  healthy: z.boolean(),
  sandbox_tier: z.enum(ISOLATION_TIERS),
  startup_status: startupStatusSchema,
  shell_available: z.boolean(),
  browser_available: z.boolean(),
  shutdown: z.boolean(),
  message: z.string().optional(),
  log_dir: z.string().optional(),
  runtime_pid: z.int().optional(),
  runtime_container_name: z.string().optional(),
  /** Our additions: the daemon's pid, the guest's gateway when it is up, how the guest ended. */
  runner_pid: z.int().optional(),
  gateway_endpoint: z.string().optional(),
  runtime_exit: z.string().optional(),
  /** Restarts of the guest (restart = "on_failure") within the last minute. */
  restarts: z.int().nonnegative().optional(),
});
export type HealthStatus = z.output<typeof healthStatusSchema>;

export const CONTROL_ERROR_CODES = ['invalid_request', 'unknown_user', 'internal'] as const;

export const controlResponseSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('health_status'), payload: healthStatusSchema }),
  z.object({
    op: z.literal('shutdown_status'),
    payload: z.object({
      user_id: z.string(),
      shutdown: z.boolean(),
      already_stopped: z.boolean(),
      message: z.string().optional(),
    }),
  }),
  z.object({
    op: z.literal('logs'),
    payload: z.object({
      entries: z.array(logEntrySchema),
      truncated: z.boolean(),
      warnings: z.array(z.string()).default([]),
    }),
  }),
  z.object({
    op: z.literal('error'),
    payload: z.object({ code: z.enum(CONTROL_ERROR_CODES), message: z.string() }),
  }),
]);
export type ControlResponse = z.output<typeof controlResponseSchema>;
export type ShutdownStatus = Extract<ControlResponse, { op: 'shutdown_status' }>['payload'];
export type LogsResponse = Extract<ControlResponse, { op: 'logs' }>['payload'];
