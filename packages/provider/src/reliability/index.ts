export {
  BreakerRegistry,
  type BreakerSettings,
  type BreakerState,
  CircuitBreaker,
  CircuitOpenError,
  sharedBreakers,
} from './breaker.js';
export { isOutputEvent } from './events.js';
export {
  type FallbackHooks,
  type FallbackInfo,
  type FallbackTarget,
  shouldFallBack,
  withFallbacks,
} from './fallbacks.js';
export { backoffDelay, DEFAULT_RELIABILITY, formatSeconds, type ReliabilityPolicy } from './policy.js';
export { type ReliabilityHooks, type RetryInfo, withReliability } from './retry.js';
export { defaultSleep, type Sleep } from './sleep.js';
