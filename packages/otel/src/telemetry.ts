/**
 * startTelemetry: the OpenTelemetry SDK set up from `[otel]` (a tracer provider batching spans to
 * OTLP/HTTP, a meter provider exporting to OTLP/HTTP periodically and read on demand for the
 * Prometheus text), and the recorder turning the kernel's events into spans and metrics. The
 * kernel imports this module only when `[otel] enabled = true`; nothing global is registered, so
 * a host's own OpenTelemetry setup is left alone.
 */
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { OtelConfig } from '@oxydra/types';
import type { AgentModel, TelemetryEnvelope } from './envelope.js';
import { exportHeaders } from './headers.js';
import { GenAiRecorder } from './recorder.js';

export interface TelemetryOptions {
  /** The parsed `[otel]` table. */
  config: OtelConfig;
  /** Where headers_env is read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The model an agent calls (its events do not say). */
  describeAgent?: (agentId: string) => AgentModel | undefined;
  /** Removes known secrets from captured text and from export error messages. */
  scrub?: (text: string) => string;
  /** Export problems, one line each (never a header value). */
  warn?: (message: string) => void;
  /** More resource attributes (the host kind, a version). */
  resourceAttributes?: Record<string, string>;
}

export interface Telemetry {
  /** One kernel event (the kernel's bus tap); never throws, never blocks. */
  onEvent(envelope: TelemetryEnvelope): void;
  /** The metrics in the Prometheus text exposition format (version 0.0.4). */
  prometheusText(): Promise<string>;
  /** Exports what is pending now (tests, a host about to exit). */
  flush(): Promise<void>;
  /** Ends open spans, exports what is pending (bounded wait) and stops the exporters. */
  shutdown(): Promise<void>;
}

/** The content type of prometheusText(). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Longest a flush or shutdown waits for the receiver. */
const EXPORT_TIMEOUT_MS = 5000;

/** A reader collected on demand: what /metrics serves. */
class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export function startTelemetry(options: TelemetryOptions): Telemetry {
  const { config } = options;
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const scrub = options.scrub ?? ((text: string) => text);
  const base = config.endpoint.replace(/\/+$/, '');
  const headers = exportHeaders(config.headers_env, options.env ?? process.env, warn);
  const resource = defaultResource().merge(
    resourceFromAttributes({ 'service.name': config.service_name, ...options.resourceAttributes }),
  );

  const spanProcessors = [];
  if (config.traces) {
    const url = `${base}/v1/traces`;
    const exporter = new OTLPTraceExporter({ url, headers, timeoutMillis: EXPORT_TIMEOUT_MS });
    reportFailures(exporter, `spans to ${url}`, warn, scrub);
    spanProcessors.push(new BatchSpanProcessor({ exporter, exportTimeoutMillis: EXPORT_TIMEOUT_MS }));
  }
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors,
    // No trace export: spans are not even recorded.
    ...(config.traces ? {} : { sampler: new AlwaysOffSampler() }),
  });

  const pull = new PullReader();
  const readers: MetricReader[] = [pull];
  if (config.metrics) {
    const url = `${base}/v1/metrics`;
    const exporter = new OTLPMetricExporter({ url, headers, timeoutMillis: EXPORT_TIMEOUT_MS });
    reportFailures(exporter, `metrics to ${url}`, warn, scrub);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: config.export_interval_secs * 1000,
        exportTimeoutMillis: Math.min(EXPORT_TIMEOUT_MS, config.export_interval_secs * 1000),
      }),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers });

  const recorder = new GenAiRecorder({
    tracer: tracerProvider.getTracer('@oxydra/otel'),
    meter: meterProvider.getMeter('@oxydra/otel'),
    captureContent: config.capture_content,
    scrub,
    ...(options.describeAgent ? { describeAgent: options.describeAgent } : {}),
  });
  const serializer = new PrometheusSerializer();
  let stopped: Promise<void> | undefined;

  return {
    onEvent: (envelope) => recorder.onEvent(envelope),
    async prometheusText() {
      const { resourceMetrics } = await pull.collect();
      return serializer.serialize(withUnitSuffixes(resourceMetrics));
    },
    async flush() {
      await bounded(Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]));
    },
    shutdown() {
      stopped ??= (async () => {
        recorder.endAll();
        await bounded(
          Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]).then(() => {}),
        );
      })();
      return stopped;
    },
  };
}

/** Waits for `work`, at most EXPORT_TIMEOUT_MS (an unreachable receiver never holds a close up). */
async function bounded(work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, EXPORT_TIMEOUT_MS + 1000);
    timer.unref();
  });
  try {
    await Promise.race([work.then(() => {}), timeout]);
  } catch {
    // An export that failed was reported by reportFailures.
  } finally {
    clearTimeout(timer);
  }
}

/** The part of an OTLP exporter read here: export and the result it reports. */
interface Exporting {
  export(items: never, done: (result: { code: number; error?: Error }) => void): void;
}

/** Warns once per run of failed exports (the first failure after a success), naming the URL only. */
function reportFailures(
  exporter: Exporting,
  what: string,
  warn: (message: string) => void,
  scrub: (text: string) => string,
): void {
  const original = exporter.export.bind(exporter);
  let failing = false;
  exporter.export = (items, done) =>
    original(items, (result) => {
      // ExportResultCode.SUCCESS is 0.
      if (result.code === 0) failing = false;
      else if (!failing) {
        failing = true;
        const reason = result.error?.message ? `: ${result.error.message}` : '';
        // The whole line: the endpoint may carry a password (http://user:pw@collector).
        warn(scrub(`[otel] export of ${what} failed${reason}; later exports will try again`));
      }
      done(result);
    });
}

/**
 * Prometheus names carry their unit (the OpenTelemetry-to-Prometheus compatibility rules):
 * oxydra.turn.duration in seconds is served as oxydra_turn_duration_seconds. The serializer
 * adds `_total` to counters and turns dots into underscores.
 */
export function withUnitSuffixes(metrics: ResourceMetrics): ResourceMetrics {
  return {
    ...metrics,
    scopeMetrics: metrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric) => {
        const suffix = UNIT_SUFFIXES[metric.descriptor.unit];
        if (suffix === undefined || metric.descriptor.name.endsWith(suffix)) return metric;
        return {
          ...metric,
          descriptor: { ...metric.descriptor, name: `${metric.descriptor.name}${suffix}` },
        };
      }),
    })),
  };
}

const UNIT_SUFFIXES: Record<string, string> = {
  s: '_seconds',
  ms: '_milliseconds',
  By: '_bytes',
  USD: '_usd',
};
