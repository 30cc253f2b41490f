/**
 * What other layers may use from the adapters' shared machinery: assembling a response from a
 * stream, and classifying failures the way the adapters do (for wrappers and custom adapters).
 */
export { collectResponse, ResponseAssembler } from './collect.js';
export { diagnoseNetworkError, missingVersionHint, type NetworkDiagnosis } from './diagnose.js';
export {
  classifyKind,
  type ErrorFacts,
  type ErrorScope,
  InStreamError,
  providerErrorFromFacts,
  withPartialOutput,
} from './errors.js';
export { type ErrorDescriber, type GuardOptions, guardStream, toProviderError } from './guard.js';
export { redactSecrets } from './redact.js';
export { type HeaderSource, retryAfterFromHeaders } from './retry-after.js';
export { type ParsedArguments, parseToolArguments } from './tool-arguments.js';
export {
  defaultToolCallId,
  type IdSynthesizer,
  ToolCallAssembler,
  type ToolCallUpdate,
} from './tool-calls.js';
export { type StreamTranslator, translate } from './translate.js';
