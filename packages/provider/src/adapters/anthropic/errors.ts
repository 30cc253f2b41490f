/** Anthropic SDK errors → ErrorFacts. */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import {
  type ErrorFacts,
  genericErrorFacts,
  InStreamError,
  sdkConnectionFacts,
} from '../../shared/errors.js';

export function describeAnthropicError(error: unknown): ErrorFacts | undefined {
  // Our fetch's own refusal (a redirect, shared/http.ts), which the SDK wraps as a connection error.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (error instanceof APIConnectionError && cause instanceof InStreamError) return genericErrorFacts(cause);
  const connection = sdkConnectionFacts(error, {
    timeout: APIConnectionTimeoutError,
    connection: APIConnectionError,
  });
  if (connection) return connection;
  if (!(error instanceof APIError)) return undefined;
  // The body is {type: "error", error: {type, message}}; `type` is e.g. overloaded_error.
  const body = error.error as { error?: { message?: unknown } } | undefined;
  const apiMessage = body?.error?.message;
  const facts: ErrorFacts = {
    message:
      typeof apiMessage === 'string' && apiMessage !== ''
        ? apiMessage
        : error.message.replace(/^\d{3}\s+/, ''),
  };
  if (error.status !== undefined) facts.status = error.status;
  if (error.headers !== undefined) facts.headers = error.headers;
  if (typeof error.type === 'string') facts.type = error.type;
  if (typeof error.errorCode === 'string' && error.errorCode !== '') facts.code = error.errorCode;
  return facts;
}
