/**
 * `[otel]`: OpenTelemetry. Off by default, and then nothing of it is even loaded. On: traces of
 * agent runs, model calls and tool executions (the GenAI semantic conventions) and metrics,
 * exported over OTLP/HTTP, and the gateway's Prometheus text endpoint `/metrics`. Prompts and
 * outputs are exported only with capture_content, scrubbed; secrets never.
 */
import { z } from 'zod';
import { once } from '../once.js';

export const otelSchema = once(() =>
  z.strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "record traces and metrics (OTLP/HTTP export, the gateway's /metrics); off: nothing is loaded",
      ),
    endpoint: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// URL (the OTLP/HTTP receiver)' })
      .default('http://127.0.0.1:4318')
      .describe(
        'OTLP/HTTP receiver base URL: spans go to {endpoint}/v1/traces, metrics to {endpoint}/v1/metrics',
      ),
    headers_env: z
      .string()
      .min(1)
      .optional()
      .describe(
        'environment variable holding headers sent with each export ("authorization=Bearer x,x-team=y"); never logged',
      ),
    service_name: z.string().min(1).default('oxydra').describe('the service.name resource attribute'),
    traces: z.boolean().default(true).describe('export spans over OTLP'),
    metrics: z
      .boolean()
      .default(true)
      .describe("export metrics over OTLP (the gateway's /metrics serves them either way)"),
    export_interval_secs: z
      .int()
      .min(1)
      .max(3600)
      .default(15)
      .describe('how often metrics are exported (spans go in batches within seconds)'),
    capture_content: z
      .boolean()
      .default(false)
      .describe(
        'add prompts, answers, tool arguments and results to spans as events, secrets scrubbed; off: never exported',
      ),
  }),
);

export type OtelConfig = z.output<ReturnType<typeof otelSchema>>;
