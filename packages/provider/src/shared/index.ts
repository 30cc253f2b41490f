/**
 * What other layers may use from the adapters' shared machinery: assembling a response from a
 * stream, and classifying failures the way the adapters do (for wrappers and custom adapters).
 */

export { readJsonBounded, readTextPrefix } from './bounded.js';
export { diagnoseNetworkError, missingVersionHint, type NetworkDiagnosis } from './diagnose.js';
export {
  classifyKind,
  type ErrorFacts,
  type ErrorScope,
  InStreamError,
  providerErrorFromFacts,
  withPartialOutput,
} from './errors.js';
export {
  defaultToolCallId,
  type IdSynthesizer,
  type ParsedArguments,
  parseToolArguments,
  ToolCallAssembler,
  type ToolCallUpdate,
} from './events.js';
export { requireGlobalFetch } from './http.js';
export { redactSecrets } from './redact.js';
export { type HeaderSource, retryAfterFromHeaders } from './retry-after.js';
export {
  collectResponse,
  type ErrorDescriber,
  type GuardOptions,
  guardStream,
  ResponseAssembler,
  toProviderError,
} from './stream.js';
export { type StreamTranslator, translate } from './translate.js';
