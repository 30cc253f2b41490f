/**
 * Gemini SDK errors → ErrorFacts. The SDK's ApiError has only a status and a message holding
 * the JSON body ({error: {code, message, status, details}}); headers come from our fetch.
 */
import { ApiError } from '@google/genai';
import type { ErrorFacts } from '../../shared/errors.js';
import { type HeaderSource, parseDurationMs } from '../../shared/retry-after.js';

interface GoogleErrorBody {
  error?: { message?: unknown; status?: unknown; details?: unknown };
}

function parseBody(message: string): GoogleErrorBody | undefined {
  // "got status: UNAVAILABLE. {...}" for in-stream errors, the bare JSON body otherwise.
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(message.slice(start)) as GoogleErrorBody;
  } catch {
    return undefined;
  }
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

export function describeGeminiError(error: unknown, headers?: HeaderSource): ErrorFacts | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const body = parseBody(error.message)?.error;
  const message = typeof body?.message === 'string' && body.message !== '' ? body.message : error.message;
  const facts: ErrorFacts = { message, status: error.status };
  if (typeof body?.status === 'string') facts.code = body.status;
  if (headers !== undefined) facts.headers = headers;
  const delay = retryDelay(body?.details);
  if (delay !== undefined) facts.retryAfterMs = delay;
  return facts;
}
