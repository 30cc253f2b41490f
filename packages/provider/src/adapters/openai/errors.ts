/** OpenAI SDK errors → ErrorFacts (status, headers and the body's code/type/message). */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { type ErrorFacts, sdkConnectionFacts } from '../../shared/errors.js';

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function describeOpenAIError(error: unknown): ErrorFacts | undefined {
  const connection = sdkConnectionFacts(error, {
    timeout: APIConnectionTimeoutError,
    connection: APIConnectionError,
  });
  if (connection) return connection;
  if (!(error instanceof APIError)) return undefined;
  // `error.error` is the body's `error` object (or, in a stream, the event's error payload).
  const body = error.error as { message?: unknown } | undefined;
  const message = stringOrUndefined(body?.message) ?? error.message.replace(/^\d{3}\s+/, '');
  const facts: ErrorFacts = { message };
  if (error.status !== undefined) facts.status = error.status;
  if (error.headers !== undefined) facts.headers = error.headers;
  const code = stringOrUndefined(error.code);
  const type = stringOrUndefined(error.type);
  if (code !== undefined) facts.code = code;
  if (type !== undefined) facts.type = type;
  return facts;
}
