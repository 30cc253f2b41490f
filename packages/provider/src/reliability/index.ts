export {
  type FallbackHooks,
  type FallbackInfo,
  type FallbackTarget,
  shouldFallBack,
  withFallbacks,
} from './fallbacks.js';
export { backoffDelay, DEFAULT_RELIABILITY, formatSeconds, type ReliabilityPolicy } from './policy.js';
export {
  BreakerRegistry,
  type BreakerSettings,
  type BreakerState,
  CircuitBreaker,
  CircuitOpenError,
  isOutputEvent,
  type ReliabilityHooks,
  type RetryInfo,
  sharedBreakers,
  withReliability,
} from './retry.js';
export { defaultSleep, type Sleep } from './sleep.js';
