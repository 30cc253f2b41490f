/**
 * Waiting on work that may ignore its AbortSignal. A provider stream or a tool that does not
 * honour the signal would otherwise hold the run forever after a timeout or a cancel.
 */
import type { Clock } from './clock.js';
import { abortReason } from './errors.js';

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      // The abandoned promise may still reject later; nobody is listening any more.
      promise.catch(() => {});
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * A controller aborted by `parent` or by its own deadline, whichever comes first. The deadline's
 * reason comes from `onTimeout`, so callers can tell a timeout from a cancel by the reason alone.
 */
export function deadlineController(
  parent: AbortSignal,
  timeoutMs: number,
  clock: Clock,
  onTimeout: () => Error,
): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParentAbort, { once: true });
  const timer = clock.setTimeout(() => {
    if (controller.signal.aborted) return;
    timedOut = true;
    controller.abort(onTimeout());
  }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clock.clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
