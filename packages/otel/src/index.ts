/**
 * @oxydra/otel: OpenTelemetry over the kernel's events. GenAI-convention spans (invoke_agent,
 * chat, execute_tool) and metrics, exported over OTLP/HTTP and served as Prometheus text. The
 * kernel imports it lazily, only when `[otel] enabled = true`: with OpenTelemetry off, no
 * module of it (or of the SDK) is loaded.
 */
export { ATTR, METRIC, OPERATION, providerName } from './attributes.js';
export type { AgentModel, TelemetryEnvelope, TelemetryLifecycleEvent } from './envelope.js';
export { exportHeaders } from './headers.js';
export { GenAiRecorder, MAX_CONTENT_CHARS, type RecorderOptions } from './recorder.js';
export {
  PROMETHEUS_CONTENT_TYPE,
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
  withUnitSuffixes,
} from './telemetry.js';
