/**
 * Time as the runtime sees it. Every timeout, heartbeat and wall-time limit goes through a Clock
 * so tests can drive time by hand instead of sleeping.
 *
 * Waiting on work that may ignore its AbortSignal. A provider stream or a tool that does not
 * honour the signal would otherwise hold the run forever after a timeout or a cancel.
 */
import { type AbortRacer, createAbortRacer, onAbort, racePending } from '@oxydra/types';
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
  return new CallDeadline(parent, timeoutMs, clock, onTimeout);
}

type Settle = (value: unknown) => void;

/**
 * deadlineController's controller: a class, so its methods are shared rather than a dozen
 * closures made per model call (docs/kernel.md, "Third round"); only the callbacks handed to
 * others (the parent's abort, the timer, the slot's race) are made per deadline.
 */
class CallDeadline implements DeadlineController {
  readonly signal: AbortSignal;
  readonly #controller: AbortController;
  readonly #clock: Clock;
  readonly #onTimeout: () => Error;
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
  #slotResolve: Settle | undefined;
  #slotReject: Settle | undefined;
  #overlapping: Set<Settle> | undefined;
  // Kept here too: only `#abort` aborts the controller, and reading signal.aborted goes through
  // Node's checks of its receiver at every race.
  #aborted = false;
  #timedOut = false;
  #disposed = false;
  /** Removes the listener on the parent (a RunAbort's, or through onAbort a signal's). */
  #stopListening: (() => void) | undefined;
  #remainingMs: number;
  #armedAt: number;
  #timer: unknown;
  #pauses = 0;
  #pausedAt = 0;
  #paused = 0;

  readonly #fillSlot = (resolve: Settle, reject: Settle) => {
    this.#slotResolve = resolve;
    this.#slotReject = reject;
  };
  readonly #slotSettled = (value: unknown) => {
    const resolve = this.#slotResolve;
    this.#slotResolve = undefined;
    this.#slotReject = undefined;
    resolve?.(value);
  };
  // Also keeps a late rejection of a promise the abort left behind handled.
  readonly #slotFailed = (error: unknown) => {
    const reject = this.#slotReject;
    this.#slotResolve = undefined;
    this.#slotReject = undefined;
    reject?.(error);
  };
  readonly #expire = () => {
    if (this.#aborted) return;
    this.#timedOut = true;
    this.#abort(this.#onTimeout());
  };

  constructor(parent: AbortSignal | RunAbort, timeoutMs: number, clock: Clock, onTimeout: () => Error) {
    this.#controller = new AbortController();
    this.signal = this.#controller.signal;
    this.#clock = clock;
    this.#onTimeout = onTimeout;
    // A run's RunAbort, or through onAbort a signal that every call of a run may listen on in
    // turn: one real listener for all of them.
    if (parent.aborted) this.#abort(parent.reason);
    else {
      const onParentAbort = () => this.#abort(parent.reason);
      this.#stopListening =
        parent instanceof RunAbort ? parent.onAbort(onParentAbort) : onAbort(parent, onParentAbort);
    }
    this.#remainingMs = timeoutMs;
    this.#armedAt = clock.now();
    this.#timer = clock.setTimeout(this.#expire, timeoutMs);
  }

  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller.abort(reason);
    if (this.#slotReject === undefined && !this.#overlapping?.size) return;
    const why = abortReason(this.signal);
    const first = this.#slotReject;
    const others = this.#overlapping;
    this.#slotResolve = undefined;
    this.#slotReject = undefined;
    this.#overlapping = undefined;
    first?.(why);
    if (others) for (const reject of others) reject(why);
  }

  timedOut(): boolean {
    return this.#timedOut;
  }

  pause(): void {
    if (this.#pauses++ > 0 || this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pausedAt = this.#clock.now();
    this.#remainingMs = Math.max(0, this.#remainingMs - (this.#pausedAt - this.#armedAt));
  }

  resume(): void {
    if (this.#pauses === 0 || --this.#pauses > 0) return;
    this.#paused += this.#clock.now() - this.#pausedAt;
    if (this.#aborted) return;
    this.#armedAt = this.#clock.now();
    this.#timer = this.#clock.setTimeout(this.#expire, this.#remainingMs);
  }

  pausedMs(): number {
    return this.#paused + (this.#pauses > 0 ? this.#clock.now() - this.#pausedAt : 0);
  }

  race<T>(promise: Promise<T>): Promise<T> {
    if (this.#aborted) {
      // Abandoned: a later rejection of it is not an unhandled one.
      promise.catch(() => {});
      return Promise.reject(abortReason(this.signal));
    }
    // Disposed: nothing aborts it any more, as a disposed racer's races settle like their promises.
    if (this.#disposed) return promise;
    if (this.#slotReject === undefined && !this.#overlapping?.size) {
      const raced = new Promise<T>(this.#fillSlot as (resolve: (value: T) => void, reject: Settle) => void);
      promise.then(this.#slotSettled, this.#slotFailed);
      return raced;
    }
    this.#overlapping ??= new Set();
    return racePending(promise, this.#overlapping);
  }

  /** The races waiting still settle as their promises: their handlers (the slot's too) stay. */
  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#stopListening?.();
    this.#overlapping = undefined;
  }
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
