/**
 * The shell daemon's wire protocol (Oxydra's ShellDaemonRequest / ShellDaemonResponse): each
 * frame is `{"op": ..., "payload": ...}`, strictly one response per request, in order.
 * Unknown payload fields are ignored, as serde does, so newer clients still talk to us.
 */
import { z } from 'zod';

const requestId = z.string().min(1, 'request_id must not be empty');
const sessionId = z.string().min(1, 'session_id must not be empty');

export const spawnSessionSchema = z.object({
  request_id: requestId,
  /** The shell that runs each command as `<shell> -lc <command>`; default /bin/sh. */
  shell: z.string().optional(),
  cwd: z.string().optional(),
  /** Added to the daemon's own environment for every command of the session. */
  env: z.record(z.string(), z.string()).default({}),
});

export const execCommandSchema = z.object({
  request_id: requestId,
  session_id: sessionId,
  command: z.string(),
  timeout_secs: z.int().positive().optional(),
});

export const streamOutputSchema = z.object({
  request_id: requestId,
  session_id: sessionId,
  max_bytes: z.int().positive().optional(),
});

export const killSessionSchema = z.object({ request_id: requestId, session_id: sessionId });

export const shellRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('spawn_session'), payload: spawnSessionSchema }),
  z.object({ op: z.literal('exec_command'), payload: execCommandSchema }),
  z.object({ op: z.literal('stream_output'), payload: streamOutputSchema }),
  z.object({ op: z.literal('kill_session'), payload: killSessionSchema }),
]);

export const OUTPUT_STREAMS = ['stdout', 'stderr'] as const;
export type OutputStream = (typeof OUTPUT_STREAMS)[number];

export const shellResponseSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('spawn_session'),
    payload: z.object({ request_id: z.string(), session_id: z.string() }),
  }),
  z.object({
    op: z.literal('exec_command'),
    payload: z.object({ request_id: z.string(), accepted: z.boolean() }),
  }),
  z.object({
    op: z.literal('stream_output'),
    payload: z.object({
      request_id: z.string(),
      session_id: z.string(),
      stream: z.enum(OUTPUT_STREAMS),
      data: z.string(),
      eof: z.boolean(),
    }),
  }),
  z.object({
    op: z.literal('kill_session'),
    payload: z.object({ request_id: z.string(), killed: z.boolean() }),
  }),
  z.object({
    op: z.literal('error'),
    payload: z.object({ request_id: z.string().optional(), message: z.string() }),
  }),
]);

export type ShellRequest = z.input<typeof shellRequestSchema>;
export type ParsedShellRequest = z.output<typeof shellRequestSchema>;
export type ShellResponse = z.output<typeof shellResponseSchema>;
export type ShellOp = ShellRequest['op'];
/** The response payload that answers each request op. */
export type ShellResponseFor<Op extends ShellOp> = Extract<ShellResponse, { op: Op }>['payload'];
export type ShellRequestPayload<Op extends ShellOp> = Extract<ShellRequest, { op: Op }>['payload'];
