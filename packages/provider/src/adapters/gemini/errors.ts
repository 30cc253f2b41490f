/**
 * Failures the Gemini API reports, and their facts for classification. Google's error body is
 * `{error: {code, message, status, details}}`; an HTTP error answer carries it, and so does an
 * error inside an otherwise healthy stream (a lone `data: {"error": ...}` event).
 */
import type { ErrorFacts } from '../../shared/errors.js';
import { type HeaderSource, parseDurationMs } from '../../shared/retry-after.js';

interface GoogleErrorDetail {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  details?: unknown;
}

/** An HTTP error answer (non-2xx), or an error event inside the stream. */
export class GeminiApiError extends Error {
  readonly status: number;
  readonly headers: HeaderSource | undefined;
  /** The parsed body (undefined when it was not JSON). */
  readonly body: unknown;
  /** The message to fall back on when the body names none (its text, or the reason phrase). */
  readonly text: string;
  constructor(status: number, headers: HeaderSource | undefined, body: unknown, text: string) {
    super(`Gemini API error (HTTP ${status})`);
    this.name = 'GeminiApiError';
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.text = text;
  }
}

function errorDetail(body: unknown): GoogleErrorDetail | undefined {
  const detail = (body as { error?: unknown } | null | undefined)?.error;
  return typeof detail === 'object' && detail !== null ? (detail as GoogleErrorDetail) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The error of a non-2xx answer. Its message, as the adapter gave it on @google/genai: the
 * body's error.message; else the JSON body itself (compact); else the body's text; an empty
 * body now says the reason phrase (the SDK showed a JSON blob it made up).
 */
export async function httpError(response: Response): Promise<GeminiApiError> {
  const text = await response.text().catch(() => '');
  const body = text.trim() === '' ? undefined : parseJson(text);
  const fallback = body !== undefined ? JSON.stringify(body) : text.trim() || response.statusText;
  return new GeminiApiError(response.status, response.headers, body, fallback);
}

/**
 * An error chunk inside the stream: `{error: {code, ...}}` with an HTTP-like code (400-599),
 * the test @google/genai applied (other `error` fields are not failures).
 */
export function streamErrorOf(chunk: unknown, headers: HeaderSource | undefined): GeminiApiError | undefined {
  const detail = errorDetail(chunk);
  const code = detail?.code;
  if (typeof code !== 'number' || code < 400 || code >= 600) return undefined;
  return new GeminiApiError(
    code,
    headers,
    chunk,
    `got status: ${String(detail?.status)}. ${JSON.stringify(chunk)}`,
  );
}

/**
 * The reason of a google.rpc.ErrorInfo in error.details, when it is one a client acts on: Google
 * answers a wrong key with 400 INVALID_ARGUMENT, which only the reason tells from a bad request.
 */
export function keyRefusalReason(details: unknown): 'API_KEY_INVALID' | undefined {
  if (!Array.isArray(details)) return undefined;
  return details.some((detail) => (detail as { reason?: unknown } | null)?.reason === 'API_KEY_INVALID')
    ? 'API_KEY_INVALID'
    : undefined;
}

/** google.rpc.RetryInfo in error.details: {"@type": ".../google.rpc.RetryInfo", "retryDelay": "37s"}. */
function retryDelay(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const delay = parseDurationMs((detail as { retryDelay?: unknown } | null)?.retryDelay);
    if (delay !== undefined) return delay;
  }
  return undefined;
}

export function describeGeminiError(error: unknown): ErrorFacts | undefined {
  if (!(error instanceof GeminiApiError)) return undefined;
  const detail = errorDetail(error.body);
  const message = typeof detail?.message === 'string' && detail.message !== '' ? detail.message : error.text;
  const facts: ErrorFacts = { message, status: error.status };
  const code = keyRefusalReason(detail?.details) ?? detail?.status;
  if (typeof code === 'string') facts.code = code;
  if (error.headers !== undefined) facts.headers = error.headers;
  const delay = retryDelay(detail?.details);
  if (delay !== undefined) facts.retryAfterMs = delay;
  return facts;
}
