/**
 * How a run ends badly: every failure becomes one `{ code, message, kind? }` with a stable code
 * from @oxydra/types' ErrorCode, whatever threw it.
 */
import { BudgetExceeded, Cancelled, type ErrorCode, OxydraError, ProviderError } from '@oxydra/types';

export interface RunFailure {
  code: string;
  message: string;
  kind?: string;
  /** How long the provider (or its open circuit breaker) asked callers to wait, when it said. */
  retryAfterMs?: number;
  /** How many attempts the provider's reliability policy made, when it retried. */
  attempts?: number;
}

/**
 * A runtime failure that has a kind but no error class of its own in @oxydra/types: a provider
 * call that timed out (provider_error / timeout), a provider that reported an error in-stream.
 */
export class RunError extends OxydraError {
  readonly kind: string | undefined;
  constructor(code: ErrorCode, message: string, kind?: string) {
    super(code, message);
    this.kind = kind;
  }
}

/**
 * The conversation (or its rolling summary) could not be saved. Its own class because its code,
 * persistence_error, is the runtime's and not one of @oxydra/types' ErrorCodes: a run that cannot
 * save must stop, and the caller must be able to tell that apart from a model or budget failure.
 */
export class PersistenceError extends Error {
  readonly code = 'persistence_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PersistenceError';
  }
}

export function toRunFailure(error: unknown): RunFailure {
  if (error instanceof PersistenceError) return { code: error.code, message: error.message };
  if (error instanceof ProviderError) {
    const failure: RunFailure = { code: error.code, message: error.message, kind: error.kind };
    if (error.retryAfterMs !== undefined) failure.retryAfterMs = error.retryAfterMs;
    if (error.attempts !== undefined) failure.attempts = error.attempts;
    return failure;
  }
  if (error instanceof BudgetExceeded)
    return { code: error.code, message: error.message, kind: error.budget };
  if (error instanceof RunError) {
    return error.kind === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, kind: error.kind };
  }
  if (error instanceof OxydraError) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal_error', message: `internal error in the agent loop: ${message}` };
}

/** The reason a signal was aborted, as an OxydraError (our controllers always abort with one). */
export function abortReason(signal: { readonly reason: unknown }): OxydraError {
  const reason: unknown = signal.reason;
  if (reason instanceof OxydraError) return reason;
  return new Cancelled(reason instanceof Error && reason.message ? reason.message : 'cancelled');
}
