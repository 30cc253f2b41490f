/** Stream-event helpers shared by the retry and fallback wrappers. */
import { type ModelEvent, ProviderError } from '@oxydra/types';

/**
 * Events that show the answer to the caller. Once one has been yielded, replaying the request
 * would show it twice, so a failure after it is surfaced instead of retried. Usage and progress
 * events are bookkeeping and do not count.
 */
export function isOutputEvent(event: ModelEvent): boolean {
  switch (event.type) {
    case 'text_delta':
    case 'reasoning_delta':
    case 'tool_call_start':
    case 'tool_call_delta':
    case 'tool_call_end':
    case 'finish':
      return true;
    default:
      return false;
  }
}

export function retryProgress(message: string): ModelEvent {
  return { type: 'progress', progress: { kind: 'retry', message } };
}

/** A copy of a ProviderError with a new message and/or flags (its fields are read-only). */
export function reviseProviderError(
  error: ProviderError,
  changes: { message?: string; partialOutput?: boolean; hint?: string; attempts?: number },
): ProviderError {
  return new ProviderError(changes.message ?? error.message, {
    kind: error.kind,
    provider: error.provider,
    ...(error.model !== undefined ? { model: error.model } : {}),
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    partialOutput: changes.partialOutput ?? error.partialOutput,
    ...((changes.attempts ?? error.attempts) !== undefined
      ? { attempts: changes.attempts ?? error.attempts }
      : {}),
    cause: error,
    ...((changes.hint ?? error.hint) !== undefined ? { hint: changes.hint ?? error.hint } : {}),
  });
}
