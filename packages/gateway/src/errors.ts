/** A refusal the client caused or can act on: a stable code (sent in error frames and HTTP bodies) and one line. */
import { isOxydraError } from '@oxydra/types';
import type { GatewayLogger } from './types.js';

export type GatewayErrorCode =
  | 'invalid_frame'
  | 'frame_too_large'
  | 'rate_limited'
  | 'hello_required'
  | 'unsupported_protocol'
  | 'invalid_user'
  | 'session_not_found'
  | 'session_mismatch'
  | 'session_limit'
  | 'unknown_agent'
  | 'turn_active'
  | 'no_active_turn'
  | 'unknown_approval'
  | 'invalid_attachment'
  | 'invalid_request'
  | 'unsupported_parameter'
  | 'forbidden'
  | 'shutting_down'
  | 'workspace_moved';

/** HTTP status for each code, for the REST and OpenAI-compatible APIs. */
export const HTTP_STATUS: Record<GatewayErrorCode, number> = {
  invalid_frame: 400,
  frame_too_large: 413,
  rate_limited: 429,
  hello_required: 400,
  unsupported_protocol: 400,
  invalid_user: 400,
  forbidden: 403,
  session_not_found: 404,
  unknown_approval: 404,
  session_mismatch: 409,
  session_limit: 429,
  unknown_agent: 404,
  turn_active: 409,
  no_active_turn: 409,
  invalid_attachment: 400,
  invalid_request: 400,
  unsupported_parameter: 400,
  shutting_down: 503,
  workspace_moved: 503,
};

export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/**
 * The code and message a client may see for any error. Oxydra errors carry a stable code and a
 * message that never holds a secret; anything else is a bug whose details stay in the log.
 */
export function publicError(error: unknown): { code: string; message: string } {
  if (error instanceof GatewayError) return { code: error.code, message: error.message };
  if (isOxydraError(error)) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: 'internal error in the gateway (details are in its log)' };
}

/**
 * One line a client may see for an error thrown at a door that answers in prose (an A2A task's
 * status, an MCP tool's result): an Oxydra error's message with its hint; anything else (a
 * store's or library's error, which may name a path, a host or a credential) goes to the log
 * and the client is told it is there.
 */
export function publicFailure(error: unknown, log: GatewayLogger, what: string): string {
  const { code, message } = publicError(error);
  if (code === 'internal_error') {
    log('error', `${what} failed`, { error: String(error) });
    return message;
  }
  const hint = isOxydraError(error) ? error.hint : undefined;
  return `${message}${hint ? ` (${hint})` : ''}`;
}

/** What clients are told of a run's bug: its message may hold anything, so it goes to the log only. */
const INTERNAL_RUN = 'internal error in the agent loop (details are in the gateway log)';

/** A run's error as clients may see it (run_failed events and AgentResult errors of any door). */
export function publicRunError<E extends { code: string; message: string }>(
  error: E,
  agentId: string,
  log: GatewayLogger,
): E {
  if (error.code !== 'internal_error') return error;
  log('error', 'a turn failed with an internal error', { agent_id: agentId, error: error.message });
  return { ...error, message: INTERNAL_RUN };
}
