/**
 * One classification of provider failures for all four APIs. Each adapter reduces its typed
 * errors (its SDK's, or its own fetch transport's) to `ErrorFacts` (status, headers, code/type
 * from the body, the server's message); this module decides the ProviderError kind, so "what is
 * retriable" is answered in one place.
 */
import { ProviderError, type ProviderErrorKind } from '@oxydra/types';
import { diagnoseNetworkError, missingVersionHint } from './diagnose.js';
import { redactSecrets } from './redact.js';
import { type HeaderSource, retryAfterFromHeaders } from './retry-after.js';

export interface ErrorFacts {
  status?: number;
  headers?: HeaderSource;
  /** Machine-readable code from the body: `context_length_exceeded`, `RESOURCE_EXHAUSTED`... */
  code?: string;
  /** Error type from the body: `invalid_request_error`, `overloaded_error`... */
  type?: string;
  /** The server's own explanation (never the SDK's "400 ..." prefix). */
  message: string;
  /** The request got no response, or the body stopped mid-way. */
  transport?: boolean;
  /** A wait the body asked for (Google RetryInfo); headers win when both exist. */
  retryAfterMs?: number;
}

/** Who failed, for messages, and what to keep out of them. */
export interface ErrorScope {
  provider: string;
  model?: string;
  apiKey?: string;
  partialOutput?: boolean;
  /** Where the request went, so a connection failure or a 404 can name it. */
  baseURL?: string;
  /** The base URL should end in a version path (OpenAI-type APIs: .../v1). */
  versionedBaseURL?: boolean;
}

/** A URL as shown in messages: without any user:password part. */
function shownURL(baseURL: string): string {
  try {
    const url = new URL(baseURL);
    url.username = '';
    url.password = '';
    return url.href.replace(/\/$/, '');
  } catch {
    return baseURL;
  }
}

/**
 * A failure reported inside an otherwise healthy stream (Responses `response.failed`, an SSE
 * `error` event the SDK let through, a stream that ended early). Translators throw it; the
 * stream guard turns it into a ProviderError.
 */
export class InStreamError extends Error {
  readonly code?: string;
  readonly type?: string;
  readonly status?: number;
  readonly transport: boolean;
  constructor(
    message: string,
    details: { code?: string; type?: string; status?: number; transport?: boolean } = {},
  ) {
    super(message);
    this.name = 'InStreamError';
    if (details.code !== undefined) this.code = details.code;
    if (details.type !== undefined) this.type = details.type;
    if (details.status !== undefined) this.status = details.status;
    this.transport = details.transport ?? false;
  }
}

/** The stream closed before the API's terminal event: a cut connection, retriable. */
export function streamEndedEarly(what: string): InStreamError {
  return new InStreamError(`the stream ended before ${what}; the connection was probably cut`, {
    transport: true,
  });
}

// Each provider words context overflow differently; the codes and phrases below are the ones
// OpenAI, Anthropic, Gemini and the common OpenAI-compatible servers (vLLM, llama.cpp, Ollama) send.
const CONTEXT_OVERFLOW = [
  /context_length_exceeded/i,
  /prompt is too long/i,
  /exceeds the maximum number of tokens/i,
  /maximum context length/i,
  /context window/i,
  /exceed(?:s|ed)? (?:the )?(?:available )?context (?:size|length)/i,
  /exceed_context_size/i,
  /input is too long/i,
  /too many (?:input )?tokens/i,
];

// A key the API does not know, where its status alone does not say so (Gemini answers 400).
const KEY_REFUSED_CODES = /^(?:invalid_api_key|API_KEY_INVALID)$/;

/** Whether the server refused the key itself (401, 403, or a code that says so), not the account behind it. */
function keyRefused(facts: ErrorFacts): boolean {
  return facts.status === 401 || facts.status === 403 || KEY_REFUSED_CODES.test(facts.code ?? '');
}

// Out of credit: retrying cannot help, so these fail at once like a bad key.
const QUOTA_CODES = /^(?:insufficient_quota|billing_error|billing_not_active|billing_hard_limit_reached)$/i;
const QUOTA_MESSAGE = /credit balance is too low/i;

function kindFromCode(facts: ErrorFacts): ProviderErrorKind | undefined {
  const tags = `${facts.code ?? ''} ${facts.type ?? ''}`;
  if (/rate_limit|RESOURCE_EXHAUSTED/i.test(tags)) return 'rate_limited';
  if (/overloaded|UNAVAILABLE|server_error|api_error|INTERNAL/i.test(tags)) return 'overloaded';
  if (/authentication|permission|UNAUTHENTICATED|PERMISSION_DENIED|invalid_api_key/i.test(tags))
    return 'auth';
  if (/DEADLINE_EXCEEDED|timeout/i.test(tags)) return 'transport';
  // answer_too_large: our refusal of a 2xx JSON answer past its bound (bounded.ts), never retried.
  if (
    /invalid_request|INVALID_ARGUMENT|FAILED_PRECONDITION|NOT_FOUND|not_found|unsupported|answer_too_large/i.test(
      tags,
    )
  ) {
    return 'bad_request';
  }
  return undefined;
}

function kindFromStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403 || status === 402) return 'auth';
  if (status === 408) return 'transport';
  if (status === 429) return 'rate_limited';
  // 502/504 come from a proxy that lost the upstream: a transport problem, not overload.
  if (status === 502 || status === 504) return 'transport';
  if (status >= 500) return 'overloaded';
  return 'bad_request';
}

export function classifyKind(facts: ErrorFacts): ProviderErrorKind {
  const text = `${facts.code ?? ''} ${facts.type ?? ''} ${facts.message}`;
  // A 429 "too many tokens per minute" is rate limiting, not an oversized prompt.
  if (facts.status !== 429 && CONTEXT_OVERFLOW.some((pattern) => pattern.test(text)))
    return 'context_overflow';
  if (facts.status === 413) return 'context_overflow';
  if (QUOTA_CODES.test(facts.code ?? '') || QUOTA_CODES.test(facts.type ?? '') || QUOTA_MESSAGE.test(text)) {
    return 'auth';
  }
  if (KEY_REFUSED_CODES.test(facts.code ?? '')) return 'auth';
  if (facts.transport) return 'transport';
  if (facts.status !== undefined) return kindFromStatus(facts.status);
  // In-stream errors have no HTTP status; an unrecognised one is most likely a server hiccup.
  return kindFromCode(facts) ?? 'transport';
}

function hintFor(kind: ProviderErrorKind, facts: ErrorFacts, provider: string): string | undefined {
  if (kind === 'auth') {
    if (keyRefused(facts)) {
      return `check the API key configured for provider "${provider}"`;
    }
    return `check the plan, credit and billing of the account behind provider "${provider}"`;
  }
  if (kind === 'context_overflow')
    return 'shorten the conversation or use a model with a larger context window';
  return undefined;
}

/**
 * A connection failure or a 404, told with the URL, the cause and what to do, all in the
 * message: run_failed events and gateway errors carry only the message, and this is the line
 * a user with a local server that is down needs to read.
 */
function endpointProblem(facts: ErrorFacts, scope: ErrorScope, cause: unknown): string | undefined {
  if (scope.baseURL === undefined) return undefined;
  const url = shownURL(scope.baseURL);
  if (facts.transport) {
    const diagnosis = diagnoseNetworkError(cause);
    return diagnosis ? `cannot reach ${url}: ${diagnosis.reason}; ${diagnosis.hint}` : undefined;
  }
  if (facts.status === 404 && scope.versionedBaseURL) {
    const hint = missingVersionHint(scope.baseURL);
    return hint ? `${url} answered 404 Not Found; ${hint}` : undefined;
  }
  return undefined;
}

export function providerErrorFromFacts(facts: ErrorFacts, scope: ErrorScope, cause?: unknown): ProviderError {
  const kind = classifyKind(facts);
  const who = scope.model ? `${scope.provider} (${scope.model})` : scope.provider;
  const status = facts.status === undefined ? '' : ` (HTTP ${facts.status})`;
  const detail = redactSecrets(facts.message.trim() || 'no error message', [scope.apiKey]);
  const problem = endpointProblem(facts, scope, cause);
  const message = problem
    ? `${who}: ${problem}`
    : kind === 'auth' && keyRefused(facts)
      ? `${who}: authentication failed${status}: ${detail}`
      : `${who}: ${detail}${status}`;
  const retryAfterMs = retryAfterFromHeaders(facts.headers) ?? facts.retryAfterMs;
  const hint = problem ? undefined : hintFor(kind, facts, scope.provider);
  return new ProviderError(message, {
    kind,
    provider: scope.provider,
    ...(scope.model !== undefined ? { model: scope.model } : {}),
    ...(facts.status !== undefined ? { status: facts.status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    partialOutput: scope.partialOutput ?? false,
    cause,
    ...(hint !== undefined ? { hint } : {}),
  });
}

/** The same error, now known to have followed streamed output (retrying would duplicate it). */
export function withPartialOutput(error: ProviderError, partialOutput: boolean): ProviderError {
  if (error.partialOutput === partialOutput) return error;
  return new ProviderError(error.message, {
    kind: error.kind,
    provider: error.provider,
    ...(error.model !== undefined ? { model: error.model } : {}),
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    partialOutput,
    cause: error.cause,
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
  });
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function errorCode(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Facts for errors no SDK typed: our own InStreamError, fetch/undici network failures, a
 * timeout abort, malformed JSON in the stream. Anything else is treated as a transport problem
 * too, since the SDKs' untyped errors are all about reading the response ("Incomplete JSON
 * segment at the end", "Response body is empty").
 */
export function genericErrorFacts(error: unknown): ErrorFacts {
  if (error instanceof InStreamError) {
    return {
      message: error.message,
      transport: error.transport,
      ...(error.code !== undefined ? { code: error.code } : {}),
      ...(error.type !== undefined ? { type: error.type } : {}),
      ...(error.status !== undefined ? { status: error.status } : {}),
    };
  }
  if (error instanceof Error) {
    const code = errorCode(error) ?? errorCode(error.cause);
    const reason = code !== undefined && NETWORK_CODES.has(code) ? ` (${code})` : '';
    // TimeoutError: our own start timeout (shared/http.ts), worded as the SDKs worded theirs.
    const label =
      error.name === 'TimeoutError'
        ? 'the request timed out'
        : error.name === 'AbortError'
          ? 'the request timed out or was aborted'
          : error instanceof SyntaxError
            ? `malformed data in the response: ${error.message}`
            : `connection failed: ${error.message}${reason}`;
    return { message: label, transport: true };
  }
  return { message: `connection failed: ${String(error)}`, transport: true };
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Connection failures as a Stainless-built SDK (@anthropic-ai/sdk; openai's until the OpenAI
 * adapters moved to fetch) reports them: its own timeout and connection error classes.
 */
export function sdkConnectionFacts(
  error: unknown,
  classes: { timeout: ErrorClass; connection: ErrorClass },
): ErrorFacts | undefined {
  if (error instanceof classes.timeout) return { message: 'the request timed out', transport: true };
  if (error instanceof classes.connection) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { message: `connection failed${cause}`, transport: true };
  }
  return undefined;
}
