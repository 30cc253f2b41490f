/**
 * withFallbacks: tries `[selection] fallbacks` in order when a provider keeps failing.
 *
 * It moves to the next provider/model pair when a call fails with a retriable error (rate_limited,
 * overloaded, transport: each target's own withReliability has already spent its retries) or
 * because that provider's circuit breaker is open. It does not fall back on auth or bad_request
 * (the configuration or request is wrong and another model would hide it), on context_overflow
 * (the runtime compacts the history instead), or after any output was streamed (the answer would
 * be duplicated).
 *
 * The first target is called with the caller's `context.model`; each fallback with its own model.
 */
import {
  type Context,
  type ModelEvent,
  type Provider,
  ProviderError,
  RETRIABLE_PROVIDER_ERROR_KINDS,
  type StreamOptions,
} from '@oxydra/types';
import { CircuitOpenError, isOutputEvent, retryProgress } from './retry.js';

export interface FallbackTarget {
  provider: Provider;
  model: string;
}

export interface FallbackInfo {
  from: { provider: string; model: string };
  to: { provider: string; model: string };
  error: ProviderError;
  message: string;
}

export interface FallbackHooks {
  onFallback?: (info: FallbackInfo) => void;
}

/** Whether a failure of one target should hand the call to the next. */
export function shouldFallBack(error: unknown): error is ProviderError {
  if (!(error instanceof ProviderError) || error.partialOutput) return false;
  return error instanceof CircuitOpenError || RETRIABLE_PROVIDER_ERROR_KINDS.has(error.kind);
}

export function withFallbacks(targets: readonly FallbackTarget[], hooks: FallbackHooks = {}): Provider {
  const first = targets[0];
  if (!first) throw new Error('withFallbacks needs at least one provider');
  if (targets.length === 1) return first.provider;

  async function* stream(context: Context, options?: StreamOptions): AsyncGenerator<ModelEvent> {
    for (const [index, target] of targets.entries()) {
      const model = index === 0 ? context.model : target.model;
      let sawOutput = false;
      try {
        for await (const event of target.provider.stream({ ...context, model }, options)) {
          if (!sawOutput && isOutputEvent(event)) sawOutput = true;
          yield event;
        }
        return;
      } catch (error) {
        const next = targets[index + 1];
        if (!next || sawOutput || options?.signal?.aborted || !shouldFallBack(error)) throw error;
        const why =
          error instanceof CircuitOpenError ? 'its circuit breaker is open' : `it failed with ${error.kind}`;
        const message = `${target.provider.name} (${model}) is unavailable: ${why}; falling back to ${next.provider.name} (${next.model})`;
        hooks.onFallback?.({
          from: { provider: target.provider.name, model },
          to: { provider: next.provider.name, model: next.model },
          error,
          message,
        });
        yield retryProgress(message);
      }
    }
  }

  return { name: first.provider.name, type: first.provider.type, stream };
}
