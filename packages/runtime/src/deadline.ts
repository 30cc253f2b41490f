/**
 * Time as the runtime sees it. Every timeout, heartbeat and wall-time limit goes through a Clock
 * so tests can drive time by hand instead of sleeping.
 *
 * Waiting on work that may ignore its AbortSignal. A provider stream or a tool that does not
 * honour the signal would otherwise hold the run forever after a timeout or a cancel.
 */
import { type AbortRacer, createAbortRacer, onAbort } from '@oxydra/types';
import { abortReason } from './errors.js';

export interface Clock {
  now(): number;
  // Method syntax on purpose: it lets Node's own setTimeout/clearTimeout (and fakes) fit as they are.
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** "12 s", "1.5 s", "250 ms": durations as a person reads them in messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

/**
 * Waiting on promises in turn (each read of a stream) that may ignore the signal: one abort
 * listener for all of them (createAbortRacer), rejecting with the signal's reason.
 */
export function abortRacer(signal: AbortSignal): AbortRacer {
  return createAbortRacer(signal, () => abortReason(signal));
}

/**
 * A run's abort (cancel, the caller's signal, wall time). Its AbortSignal is made on first use:
 * Node's AbortController costs microseconds to make, and a run that only calls the model, the
 * common turn, needs none, since each model call's deadline links to this directly (onAbort).
 * Tools, hooks and anyone else who reads `signal` get a real one, aborted with the same reason
 * (at once, if the run already was).
 */
export class RunAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  readonly #listeners = new Set<() => void>();

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** The first abort wins, as AbortController's: the signal's listeners run, then onAbort's. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    for (const listener of this.#listeners) listener();
    this.#listeners.clear();
  }

  /** Calls `listener` once when the run aborts (never, if it has); the function returned removes it. */
  onAbort(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/**
 * A controller aborted by `parent` or by its own deadline, whichever comes first. The deadline's
 * reason comes from `onTimeout`, so callers can tell a timeout from a cancel by the reason alone.
 */
export interface DeadlineController {
  signal: AbortSignal;
  timedOut: () => boolean;
  /**
   * Stops the clock while the work waits on a person (an approval): the time left is kept, and
   * resume() starts it again. Nested pauses (parallel approvals) stop it until the last resumes.
   */
  pause: () => void;
  resume: () => void;
  /** Milliseconds spent paused so far. */
  pausedMs: () => number;
  /**
   * Settles like `promise`, or rejects with the signal's reason as soon as the deadline aborts
   * (at once if it has): abortRacer's race on `signal`, without a listener on it, since every
   * abort of this signal is the controller's own. After dispose(), settles like `promise`.
   */
  race: <T>(promise: Promise<T>) => Promise<T>;
  dispose: () => void;
}

export function deadlineController(
  parent: AbortSignal | RunAbort,
  timeoutMs: number,
  clock: Clock,
  onTimeout: () => Error,
): DeadlineController {
  const controller = new AbortController();
  const { signal } = controller;
  // The races waiting on the signal (race, below): rejected here, right after the abort, rather
  // than by a listener on the signal (a listener added and removed per call costs more than the
  // race itself: docs/kernel.md, "What a turn costs").
  // Nearly always one at a time (a model call's reads, in turn): that one is kept in a slot,
  // settled by handlers made once per deadline, and only races that overlap it get handlers of
  // their own and go in a Set. A Set holding one race at a time grew and shrank its table at
  // every read, and each race made three closures: ~2.4 KB of garbage a turn between them
  // (kernel-longrun, --trace-gc; docs/kernel.md, "Third round"). The slot, when taken, is older
  // than every race in the Set (it is only taken when the Set is empty), so an abort rejects them
  // in the order they began. The slot is freed only when its promise settles or the deadline
  // aborts (after which no race takes it), so its handlers never settle a later race.
  type Settle = (value: unknown) => void;
  let slotResolve: Settle | undefined;
  let slotReject: Settle | undefined;
  const fillSlot = (resolve: Settle, reject: Settle) => {
    slotResolve = resolve;
    slotReject = reject;
  };
  const slotSettled = (value: unknown) => {
    const resolve = slotResolve;
    slotResolve = undefined;
    slotReject = undefined;
    resolve?.(value);
  };
  // Also keeps a late rejection of a promise the abort left behind handled.
  const slotFailed = (error: unknown) => {
    const reject = slotReject;
    slotResolve = undefined;
    slotReject = undefined;
    reject?.(error);
  };
  let overlapping: Set<Settle> | undefined;
  // Kept here too: only `abort` aborts the controller, and reading signal.aborted goes through
  // Node's checks of its receiver at every race.
  let aborted = false;
  const abort = (reason: unknown) => {
    if (aborted) return;
    aborted = true;
    controller.abort(reason);
    if (slotReject === undefined && !overlapping?.size) return;
    const why = abortReason(signal);
    const first = slotReject;
    const others = overlapping;
    slotResolve = undefined;
    slotReject = undefined;
    overlapping = undefined;
    first?.(why);
    if (others) for (const reject of others) reject(why);
  };
  let timedOut = false;
  // A run's RunAbort, or through onAbort a signal that every call of a run may listen on in turn:
  // one real listener for all of them.
  let stopListening: (() => void) | undefined;
  const onParentAbort = () => abort(parent.reason);
  if (parent.aborted) abort(parent.reason);
  else
    stopListening =
      parent instanceof RunAbort ? parent.onAbort(onParentAbort) : onAbort(parent, onParentAbort);
  const expire = () => {
    if (aborted) return;
    timedOut = true;
    abort(onTimeout());
  };
  let remainingMs = timeoutMs;
  let armedAt = clock.now();
  let timer: ReturnType<Clock['setTimeout']> | undefined = clock.setTimeout(expire, timeoutMs);
  let pauses = 0;
  let pausedAt = 0;
  let paused = 0;
  let disposed = false;
  return {
    signal,
    timedOut: () => timedOut,
    pause: () => {
      if (pauses++ > 0 || timer === undefined) return;
      clock.clearTimeout(timer);
      timer = undefined;
      pausedAt = clock.now();
      remainingMs = Math.max(0, remainingMs - (pausedAt - armedAt));
    },
    resume: () => {
      if (pauses === 0 || --pauses > 0) return;
      paused += clock.now() - pausedAt;
      if (aborted) return;
      armedAt = clock.now();
      timer = clock.setTimeout(expire, remainingMs);
    },
    pausedMs: () => paused + (pauses > 0 ? clock.now() - pausedAt : 0),
    race: <T>(promise: Promise<T>): Promise<T> => {
      if (aborted) {
        // Abandoned: a later rejection of it is not an unhandled one.
        promise.catch(() => {});
        return Promise.reject(abortReason(signal));
      }
      // Disposed: nothing aborts it any more, as a disposed racer's races settle like their promises.
      if (disposed) return promise;
      if (slotReject === undefined && !overlapping?.size) {
        const raced = new Promise<T>(fillSlot as (resolve: (value: T) => void, reject: Settle) => void);
        promise.then(slotSettled, slotFailed);
        return raced;
      }
      return new Promise<T>((resolve, reject) => {
        overlapping ??= new Set();
        const others = overlapping;
        others.add(reject);
        // These handlers also keep a late rejection of a promise the abort left behind handled.
        promise.then(
          (value) => {
            others.delete(reject);
            resolve(value);
          },
          (error: unknown) => {
            others.delete(reject);
            reject(error);
          },
        );
      });
    },
    // The races waiting still settle as their promises: their handlers (the slot's too) stay.
    dispose: () => {
      disposed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      stopListening?.();
      overlapping = undefined;
    },
  };
}

/** The limits a hook call runs under: the run's signal and the per-call timeout. */
export interface Deadline {
  /** The run's abort (or a signal): a cancel while the hook runs cancels the run. */
  signal: AbortSignal | RunAbort;
  /** runtime.turn_timeout_secs, so a hung store or summary model cannot hold the run. */
  timeoutMs: number;
  clock: Clock;
}

/**
 * Runs a hook (memory recall, a summary model call) with its own signal, aborted by the run's or
 * after the timeout. It settles as soon as either fires even when the hook ignores its signal;
 * callers tell a cancel from a timeout by checking `limits.signal.aborted` afterwards.
 */
export async function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  limits: Deadline,
  onTimeout: () => Error,
): Promise<T> {
  const deadline = deadlineController(limits.signal, limits.timeoutMs, limits.clock, onTimeout);
  try {
    // Through a promise chain, so a hook that throws synchronously rejects like one that fails later.
    return await deadline.race(Promise.resolve().then(() => work(deadline.signal)));
  } finally {
    deadline.dispose();
  }
}

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const racer = abortRacer(signal);
  try {
    return await racer.race(promise);
  } finally {
    racer.dispose();
  }
}
