/**
 * Context the caller provides before each model call (plugins' context providers): transient
 * system messages sent after the rolling summary, never persisted, never in RunResult.messages.
 * The caller keeps each provider to its own time budget; here the hook as a whole runs under the
 * run's signal and the per-call timeout, and a failure is an `error` event
 * (context_provider_failed) after which the call goes on without it.
 */
import type { Message, StreamEvent } from '@oxydra/types';
import { type Deadline, formatDuration, withDeadline } from './deadline.js';
import { abortReason } from './errors.js';

export const CONTEXT_FAILED = 'context_provider_failed';

export type ContextHook = (
  input: { messages: readonly Message[]; turn: number },
  signal: AbortSignal,
) => Promise<Message[]>;

export async function providedContext(
  hook: ContextHook | undefined,
  input: { messages: readonly Message[]; turn: number },
  limits: Deadline,
  emit: (event: StreamEvent) => void,
): Promise<Message[]> {
  if (!hook) return [];
  try {
    return await withDeadline(
      (signal) => hook(input, signal),
      limits,
      () => new Error(`it did not answer within ${formatDuration(limits.timeoutMs)}`),
    );
  } catch (error) {
    if (limits.signal.aborted) throw abortReason(limits.signal);
    emit({
      type: 'error',
      code: CONTEXT_FAILED,
      message: `context providers failed, going on without them: ${(error as Error).message}`,
      retriable: true,
    });
    return [];
  }
}
