/**
 * Failures the OpenAI API (and compatible servers) report, and their facts for classification.
 * The body is `{error: {message, type, param, code}}`; an HTTP error answer carries it, and so
 * does an error inside an otherwise healthy stream (a `data: {"error": ...}` event). Read as the
 * openai SDK's APIError read them, so messages and classification did not change with the SDK.
 */
import type { ErrorFacts } from '../../shared/errors.js';
import type { HeaderSource } from '../../shared/retry-after.js';

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The server's explanation, as the SDK worded it (without its "400 " prefix): the error's
 * message; else the error object itself as JSON; else the body's text when it was not JSON.
 */
function explanation(status: number | undefined, detail: unknown, text: string): string {
  const message = (detail as { message?: unknown } | null | undefined)?.message;
  if (message) return typeof message === 'string' ? message : JSON.stringify(message);
  if (detail) return JSON.stringify(detail);
  if (text !== '') return text;
  return status !== undefined ? 'status code (no body)' : '(no status code or body)';
}

/** An HTTP error answer (non-2xx: `status` set), or an error event inside the stream (no status). */
export class OpenAIApiError extends Error {
  readonly status: number | undefined;
  readonly headers: HeaderSource | undefined;
  /** The body's `error` (or the stream event's): usually {message, type, param, code}. */
  readonly error: unknown;
  readonly code: string | undefined;
  readonly type: string | undefined;
  readonly param: string | undefined;

  constructor(status: number | undefined, headers: HeaderSource | undefined, error: unknown, text = '') {
    super(explanation(status, error, text));
    this.name = 'OpenAIApiError';
    this.status = status;
    this.headers = headers;
    this.error = error;
    const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
    this.code = stringOrUndefined(fields.code);
    this.type = stringOrUndefined(fields.type);
    this.param = stringOrUndefined(fields.param);
  }
}

/**
 * The error of a non-2xx answer: its JSON body's `error`, or its text when the body is not JSON
 * (a proxy's HTML page, a plain "Bad Gateway").
 */
export async function openAIHttpError(response: Response): Promise<OpenAIApiError> {
  const text = await response.text().catch((error: unknown) => (error instanceof Error ? error.message : ''));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  // As the SDK read it: a body that parses to anything truthy is asked for its `error`, any
  // other body is shown as text.
  return body
    ? new OpenAIApiError(response.status, response.headers, (body as { error?: unknown }).error)
    : new OpenAIApiError(response.status, response.headers, undefined, text);
}

export function describeOpenAIError(error: unknown): ErrorFacts | undefined {
  if (!(error instanceof OpenAIApiError)) return undefined;
  const facts: ErrorFacts = { message: error.message };
  if (error.status !== undefined) facts.status = error.status;
  if (error.headers !== undefined) facts.headers = error.headers;
  if (error.code !== undefined) facts.code = error.code;
  if (error.type !== undefined) facts.type = error.type;
  return facts;
}
