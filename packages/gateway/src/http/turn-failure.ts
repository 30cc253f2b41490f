/**
 * How a failed agent turn is answered over HTTP, so that no client re-runs side effects. Clients
 * (openai, the AI SDK, LangChain) retry 5xx, 408, 409 and 429 by default. So once a tool has run,
 * a failure is a 400 `run_failed` with `x-should-retry: false` (400 is the one status none of
 * them retries); only failures before any side effect keep a 5xx, with Retry-After, so a retry
 * is safe and waits as long as the provider (or its open circuit breaker) asked. When the
 * provider's reliability policy already retried the call, the 5xx also says
 * `x-should-retry: false`: the openai SDK, which honours it, then does not multiply the gateway's
 * attempts by its own (3 model calls for one request, not 9).
 */
export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
  /** Whether a client may run the request again (nothing happened yet). */
  retriable: boolean;
}

export interface RunFailureInfo {
  code: string;
  message: string;
  kind?: string;
  retryAfterMs?: number;
  /** Attempts the provider's reliability policy made (more than one: it already retried). */
  attempts?: number;
}

/** Seconds a client waits before retrying when the failure did not say. */
const DEFAULT_RETRY_AFTER_MS = 1000;

export function turnFailure(error: RunFailureInfo | undefined, toolRan: boolean): HttpFailure {
  const code = error?.code ?? 'internal_error';
  const message = error?.message ?? 'the turn ended without an answer';
  if (toolRan) {
    return {
      status: 400,
      code: 'run_failed',
      message: `the agent's turn failed after its tools ran (${code}: ${message}); it is not retried automatically, so send a new request to run it again`,
      headers: { 'x-should-retry': 'false' },
      retriable: false,
    };
  }
  const failure = retryLater(statusOf(code, error?.kind), code, message, error?.retryAfterMs);
  if ((error?.attempts ?? 1) > 1) failure.headers['x-should-retry'] = 'false';
  return failure;
}

/** A 5xx that nothing happened for: retry after the given wait. */
export function retryLater(
  status: number,
  code: string,
  message: string,
  retryAfterMs?: number,
): HttpFailure {
  const waitMs = Math.max(0, Math.round(retryAfterMs ?? DEFAULT_RETRY_AFTER_MS));
  return {
    status,
    code,
    message,
    headers: {
      'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
      'retry-after-ms': String(waitMs),
    },
    retriable: true,
  };
}

function statusOf(code: string, kind: string | undefined): number {
  if (code === 'provider_error') {
    // Overloaded includes an open circuit breaker: the service is unavailable for a while.
    return kind === 'overloaded' || kind === 'rate_limited' ? 503 : 502;
  }
  if (code === 'cancelled') return 503;
  return 500;
}
