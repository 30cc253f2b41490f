/**
 * withReliability: retries a provider's failed calls with exponential backoff, honours the
 * server's retry-after, and trips a circuit breaker per provider name.
 *
 * Only ProviderError.retriable errors (rate_limited, overloaded, transport, with no output
 * streamed yet) are retried. A stream cut before any output event is restarted from scratch,
 * invisibly to the caller; one cut after output is surfaced as an error with partialOutput set,
 * because replaying the request would repeat text the caller already has.
 */

import {
  Cancelled,
  type Context,
  type ModelEvent,
  type Provider,
  ProviderError,
  RETRIABLE_PROVIDER_ERROR_KINDS,
  type StreamOptions,
} from '@oxydra/types';
import { backoffDelay, formatSeconds, type ReliabilityPolicy } from './policy.js';
import { defaultSleep, type Sleep } from './sleep.js';

export interface RetryInfo {
  provider: string;
  model: string;
  /** The attempt about to start (2 for the first retry). */
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  error: ProviderError;
  message: string;
}

export interface ReliabilityHooks {
  onRetry?: (info: RetryInfo) => void;
  sleep?: Sleep;
  /** In [0, 1), for jitter. */
  random?: () => number;
  /** Milliseconds, for the circuit breaker's cooldown. */
  now?: () => number;
  /** Where breakers live; defaults to the process-wide registry (one breaker per provider name). */
  breakers?: BreakerRegistry;
}

export function withReliability(
  provider: Provider,
  policy: ReliabilityPolicy,
  hooks: ReliabilityHooks = {},
): Provider {
  const sleep = hooks.sleep ?? defaultSleep;
  const random = hooks.random ?? Math.random;
  const now = hooks.now ?? Date.now;
  const breaker = (hooks.breakers ?? sharedBreakers).get(provider.name, {
    threshold: policy.circuit_breaker_threshold,
    cooldownMs: policy.circuit_breaker_cooldown_secs * 1000,
  });

  const settings: RetrySettings = { provider, policy, hooks, breaker, sleep, random, now };
  function stream(context: Context, options?: StreamOptions): AsyncIterableIterator<ModelEvent> {
    return new ReliableStream(settings, context, options);
  }

  return { name: provider.name, type: provider.type, stream };
}

interface RetrySettings {
  provider: Provider;
  policy: ReliabilityPolicy;
  hooks: ReliabilityHooks;
  breaker: CircuitBreaker;
  sleep: Sleep;
  random: () => number;
  now: () => number;
}

type Step = IteratorResult<ModelEvent, undefined>;

const finished = (value?: unknown): IteratorResult<ModelEvent, undefined> =>
  ({ done: true, value }) as IteratorResult<ModelEvent, undefined>;

/**
 * One call with its retries, as an iterator written out rather than an async generator: the
 * generator re-yielded every event through a for-await, a promise and an iterator result per
 * layer per event (~2.5 KB of garbage per kernel-longrun turn of three events, --trace-gc). Here
 * a step of the attempt's stream is handed on through one `then`, and only a failure takes the
 * slow path. What it does is the generator's, step for step:
 *
 * - the first next() checks the signal, takes the breaker's permission, and opens the first
 *   attempt; return() before it ends the call without asking the breaker;
 * - an attempt ending normally is the breaker's success; one failing with a retriable
 *   ProviderError before any output event is retried after a progress event and the backoff
 *   (or the server's retry-after), unless attempts ran out or the breaker opened meanwhile; any
 *   other failure ends the call, the breaker told what it means (recordOutcome);
 * - return() while an attempt streams returns its stream first; a call that ends without a
 *   verdict (cancelled, stopped early, a bug) gives the breaker its permission back.
 *
 * Like the provider wrappers' streams (shared/stream.ts), it expects its consumer to await each
 * next() before the next one (for-await and the runtime do), rather than queueing overlapping ones.
 */
class ReliableStream implements AsyncIterableIterator<ModelEvent> {
  #state: 'new' | 'streaming' | 'waiting' | 'done' = 'new';
  #source: AsyncIterator<ModelEvent> | undefined;
  #attempt = 1;
  #sawOutput = false;
  /** The breaker was given its verdict (else it gets its permission back when the call ends). */
  #settled = false;
  /** Between attempts: the failure being retried and the wait before the next attempt. */
  #retrying: { error: ProviderError; delayMs: number } | undefined;
  readonly #maxAttempts: number;
  readonly #onStep = (step: Step): Step => {
    if (step.done) {
      this.#settings.breaker.onSuccess();
      this.#settled = true;
      this.#end();
      return finished();
    }
    if (!this.#sawOutput && isOutputEvent(step.value)) this.#sawOutput = true;
    return step;
  };
  readonly #onError = (caught: unknown): Promise<Step> => this.#failed(caught);

  readonly #settings: RetrySettings;
  readonly #context: Context;
  readonly #options: StreamOptions | undefined;

  constructor(settings: RetrySettings, context: Context, options: StreamOptions | undefined) {
    this.#settings = settings;
    this.#context = context;
    this.#options = options;
    this.#maxAttempts = Math.max(1, settings.policy.max_attempts);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<Step> {
    switch (this.#state) {
      case 'streaming':
        return this.#read();
      case 'new':
        return this.#begin();
      case 'waiting':
        return this.#retry();
      default:
        return Promise.resolve(finished());
    }
  }

  async return(value?: unknown): Promise<Step> {
    const state = this.#state;
    const source = this.#source;
    this.#state = 'done';
    this.#source = undefined;
    if (state === 'new' || state === 'done') return finished(value);
    try {
      // As a for-await left early: the attempt's stream is returned before the call ends.
      if (state === 'streaming') await source?.return?.();
    } finally {
      this.#release();
    }
    return finished(value);
  }

  async throw(error?: unknown): Promise<Step> {
    const state = this.#state;
    if (state === 'streaming') {
      // Thrown in at the event being read: the attempt's stream is closed, and the error is
      // judged as the attempt's own failure would be.
      const source = this.#source;
      this.#source = undefined;
      try {
        await source?.return?.();
      } catch {
        // The error thrown in wins over the close's.
      }
      return this.#failed(error);
    }
    this.#state = 'done';
    if (state === 'waiting') this.#release();
    throw error;
  }

  #read(): Promise<Step> {
    return (this.#source as AsyncIterator<ModelEvent>).next().then(this.#onStep, this.#onError);
  }

  async #begin(): Promise<Step> {
    const signal = this.#options?.signal;
    this.#state = 'done';
    if (signal?.aborted) throw new Cancelled('cancelled', { cause: signal.reason });
    // One permission per call: the breaker judges calls after their retries, not attempts, so a
    // few failing requests retried by the policy cannot open it for everyone.
    this.#settings.breaker.acquire(this.#settings.now());
    return this.#open();
  }

  /** Starts the attempt `#attempt` and reads its first step. */
  #open(): Promise<Step> {
    const signal = this.#options?.signal;
    try {
      if (signal?.aborted) throw new Cancelled('cancelled', { cause: signal.reason });
      this.#sawOutput = false;
      this.#source = this.#settings.provider.stream(this.#context, this.#options)[Symbol.asyncIterator]();
    } catch (caught) {
      return this.#failed(caught);
    }
    this.#state = 'streaming';
    return this.#read();
  }

  /** An attempt failed (or could not start): retried, or the call ends with an error. */
  async #failed(caught: unknown): Promise<Step> {
    const { breaker, now, policy, provider, random, hooks } = this.#settings;
    this.#state = 'done';
    this.#source = undefined;
    try {
      if (!(caught instanceof ProviderError) || this.#options?.signal?.aborted) throw caught;
      const error =
        this.#sawOutput && !caught.partialOutput
          ? reviseProviderError(caught, { partialOutput: true })
          : caught;
      // An inner breaker's refusal is final here; fallbacks act on it.
      if (!error.retriable || error instanceof CircuitOpenError || this.#attempt >= this.#maxAttempts) {
        this.#settled = recordOutcome(breaker, error, now());
        throw error.retriable && !(error instanceof CircuitOpenError)
          ? exhausted(error, this.#maxAttempts)
          : error;
      }
      let delayMs: number;
      try {
        delayMs = retryDelay(provider.name, error, policy, this.#attempt, random);
      } catch (tooLong) {
        // The server asked for a longer wait than we allow: the call ends failed here.
        this.#settled = recordOutcome(breaker, error, now());
        throw tooLong;
      }
      const message = `retrying ${provider.name} after ${error.kind} in ${formatSeconds(delayMs)} (attempt ${this.#attempt + 1}/${this.#maxAttempts})`;
      hooks.onRetry?.({
        provider: provider.name,
        model: this.#context.model,
        attempt: this.#attempt + 1,
        maxAttempts: this.#maxAttempts,
        delayMs,
        error,
        message,
      });
      this.#retrying = { error, delayMs };
      this.#state = 'waiting';
      return { done: false, value: retryProgress(message) };
    } catch (error) {
      this.#release();
      throw error;
    }
  }

  /** After the progress event: the wait, then the next attempt (unless the breaker opened). */
  async #retry(): Promise<Step> {
    const { breaker, now, sleep } = this.#settings;
    const { error, delayMs } = this.#retrying!;
    this.#retrying = undefined;
    this.#state = 'done';
    try {
      await sleep(delayMs, this.#options?.signal);
      // Other calls opened the breaker while this one waited: its retry would be refused.
      if (breaker.state(now()) === 'open') {
        this.#settled = recordOutcome(breaker, error, now());
        throw breaker.openError(now(), error);
      }
    } catch (stopped) {
      this.#release();
      throw stopped;
    }
    this.#attempt++;
    return this.#open();
  }

  /** The call ends: the breaker gets its permission back unless it was given a verdict. */
  #release(): void {
    this.#state = 'done';
    if (this.#settled) return;
    this.#settled = true;
    this.#settings.breaker.release();
  }

  #end(): void {
    this.#state = 'done';
    this.#source = undefined;
  }
}

/**
 * The breaker's verdict on a call that failed after its retries; true when one was recorded.
 * Only signs of an unhealthy provider count (rate_limited, overloaded, transport before any
 * output). Errors tied to the one request say nothing about the provider: a refusal of the
 * request (bad_request, context_overflow, auth) shows it is up; a stream cut after the provider
 * had begun answering is left out, as is another breaker's refusal.
 */
function recordOutcome(breaker: CircuitBreaker, error: ProviderError, at: number): boolean {
  if (error instanceof CircuitOpenError || error.partialOutput) return false;
  if (RETRIABLE_PROVIDER_ERROR_KINDS.has(error.kind)) breaker.onFailure(at);
  else breaker.onSuccess();
  return true;
}

/** The server's retry-after when it gave one (up to the cap), else the policy's backoff. */
function retryDelay(
  name: string,
  error: ProviderError,
  policy: ReliabilityPolicy,
  attempt: number,
  random: () => number,
): number {
  if (error.retryAfterMs === undefined) return backoffDelay(policy, attempt, random);
  if (error.retryAfterMs > policy.retry_after_cap_ms) {
    throw reviseProviderError(error, {
      message: `${error.message}; ${name} asked to wait ${formatSeconds(error.retryAfterMs)} before retrying, longer than reliability.retry_after_cap_ms (${formatSeconds(policy.retry_after_cap_ms)}), so Oxydra gave up`,
      hint: 'try again later, or raise [reliability] retry_after_cap_ms',
    });
  }
  return error.retryAfterMs;
}

function exhausted(error: ProviderError, attempts: number): ProviderError {
  if (attempts <= 1) return error;
  return reviseProviderError(error, {
    message: `${error.message} (gave up after ${attempts} attempts)`,
    attempts,
  });
}

/** Stream-event helpers shared by the retry and fallback wrappers. */

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
function reviseProviderError(
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

/**
 * A circuit breaker per provider name. After `threshold` consecutive failed requests it opens
 * and calls fail fast for `cooldownMs`; then it lets one trial request through (half-open):
 * success closes it, failure opens it for another cooldown.
 *
 * It observes calls after their retries (withReliability reports once per call), so one client's
 * retried request counts once. A "failure" is a sign the provider is unhealthy: a rate_limited,
 * overloaded or transport error before any output. Any other answer (success, or auth /
 * bad_request / context_overflow, which are about the request) shows the provider is up, and
 * resets the count; a stream cut after output is tied to that request and is not counted.
 */

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSettings {
  threshold: number;
  cooldownMs: number;
}

/** Thrown instead of calling a provider whose breaker is open. Fallbacks move on when they see it. */
export class CircuitOpenError extends ProviderError {
  constructor(provider: string, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, {
      kind: 'overloaded',
      provider,
      ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
      cause: options.cause,
      hint: 'the provider kept failing; Oxydra stops calling it for a while so it can recover',
    });
  }
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;

  constructor(
    readonly name: string,
    readonly settings: BreakerSettings,
  ) {}

  state(now: number): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return now - this.openedAt >= this.settings.cooldownMs ? 'half_open' : 'open';
  }

  /** Permission for one request; throws CircuitOpenError when the breaker refuses it. */
  acquire(now: number): void {
    const state = this.state(now);
    if (state === 'closed') return;
    if (state === 'half_open' && !this.trialInFlight) {
      this.trialInFlight = true;
      return;
    }
    throw this.openError(now);
  }

  onSuccess(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
  }

  onFailure(now: number): void {
    if (this.trialInFlight) {
      this.trialInFlight = false;
      this.openedAt = now;
      return;
    }
    this.failures += 1;
    if (this.openedAt === undefined && this.failures >= this.settings.threshold) this.openedAt = now;
  }

  /** The request ended without saying anything about the provider's health (cancelled, bug). */
  release(): void {
    this.trialInFlight = false;
  }

  isOpen(now: number): boolean {
    return this.state(now) !== 'closed';
  }

  openError(now: number, cause?: ProviderError): CircuitOpenError {
    const remaining = Math.max(0, (this.openedAt ?? now) + this.settings.cooldownMs - now);
    const why = cause ? `${cause.message}; ` : '';
    const message =
      remaining > 0
        ? `${why}circuit breaker for ${this.name} is open after ${this.settings.threshold} consecutive failures; the next trial call is allowed in ${formatSeconds(remaining)}`
        : `${why}circuit breaker for ${this.name} is half-open and a trial call is already in flight; try again shortly`;
    return new CircuitOpenError(this.name, message, {
      ...(remaining > 0 ? { retryAfterMs: remaining } : {}),
      cause,
    });
  }
}

/** Breakers keyed by provider name, so every wrapper around the same provider shares one. */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();

  /** The breaker for `name`; the settings of the first caller stay in force. */
  get(name: string, settings: BreakerSettings): CircuitBreaker {
    let breaker = this.breakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker(name, settings);
      this.breakers.set(name, breaker);
    }
    return breaker;
  }
}

/** The process-wide registry: one gateway serving many sessions trips one breaker per provider. */
export const sharedBreakers = new BreakerRegistry();
