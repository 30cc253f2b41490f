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
import { ProviderError } from '@oxydra/types';
import { formatSeconds } from './policy.js';

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
