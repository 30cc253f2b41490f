/** HTTP errors in the OpenAI shape every route uses: {"error": {"message", "type", "code"}}. */
import type { FastifyReply } from 'fastify';
import { GatewayError, HTTP_STATUS } from '../errors.js';

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

export function errorBody(status: number, code: string, message: string) {
  return { error: { message, type: errorType(status), code } };
}

export function replyError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send(errorBody(status, code, message));
}

/** The part of a zod error read here (zod is @oxydra/types' dependency, not this package's). */
export interface ValidationIssues {
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>;
}

/** "invalid request: messages.0.role: Invalid input: expected string" (the first problem). */
export function describeIssues(error: ValidationIssues): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const path = issue.path.map(String).join('.');
  return `invalid request: ${path ? `${path}: ` : ''}${issue.message}`;
}

/**
 * A refusal from a role check (GatewayError: 403) or a kernel service (a UsageError, whose
 * message says what is wrong: 400); anything else is a bug and propagates (500).
 */
export function replyRefused(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof GatewayError)
    return replyError(reply, HTTP_STATUS[error.code], error.code, error.message);
  if (error instanceof Error && 'hint' in error)
    return replyError(reply, 400, 'invalid_request', error.message);
  throw error;
}
