/**
 * A real OTLP/HTTP receiver for tests: a node:http server on 127.0.0.1 taking what exporters
 * POST to /v1/traces and /v1/metrics. The -http exporters send OTLP's JSON encoding (this
 * receiver refuses anything else with 415, so a protobuf sender fails the test); gzip bodies
 * are decoded. Spans and metric points are flattened for assertions, the raw bodies kept for
 * "this text never left the process" checks.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedBody {
  path: string;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  status: { code?: number; message?: string };
  resource: Record<string, unknown>;
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  kind: 'sum' | 'gauge' | 'histogram' | 'other';
  points: { attributes: Record<string, unknown>; value?: number; count?: number; sum?: number }[];
}

export interface OtlpReceiver {
  /** The base URL ([otel] endpoint). */
  url: string;
  bodies: ReceivedBody[];
  spans(): ReceivedSpan[];
  metrics(): ReceivedMetric[];
  /** Answer the next `count` posts with this status (a failing collector). */
  failNext(count: number, status?: number): void;
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
type OtlpAttributes = { key: string; value: OtlpValue }[] | undefined;

function plainValue(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(plainValue);
  return undefined;
}

export function attributesOf(list: OtlpAttributes): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, plainValue(value)]));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: ReceivedBody[] = [];
  let failing = 0;
  let failStatus = 503;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      const json = (request.headers['content-type'] ?? '').startsWith('application/json');
      if (request.method !== 'POST' || !['/v1/traces', '/v1/metrics'].includes(path) || !json) {
        response.writeHead(json ? 404 : 415).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (failing > 0) {
        failing--;
        response.writeHead(failStatus, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      bodies.push({ path, headers: request.headers, text: body.toString('utf8') });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    spans: () => bodies.filter((b) => b.path === '/v1/traces').flatMap((b) => spansOf(b.text)),
    metrics: () => bodies.filter((b) => b.path === '/v1/metrics').flatMap((b) => metricsOf(b.text)),
    failNext(count, status = 503) {
      failing = count;
      failStatus = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface TraceRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttributes };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttributes;
        events?: { name: string; attributes?: OtlpAttributes }[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

function spansOf(text: string): ReceivedSpan[] {
  const request = JSON.parse(text) as TraceRequest;
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
        events: (span.events ?? []).map((event) => ({
          name: event.name,
          attributes: attributesOf(event.attributes),
        })),
        status: span.status ?? {},
        resource,
      })),
    );
  });
}

interface NumberPoint {
  attributes?: OtlpAttributes;
  asDouble?: number;
  asInt?: string | number;
  count?: string | number;
  sum?: number;
}

interface MetricsRequest {
  resourceMetrics?: {
    scopeMetrics?: {
      metrics?: {
        name: string;
        unit?: string;
        sum?: { dataPoints?: NumberPoint[] };
        gauge?: { dataPoints?: NumberPoint[] };
        histogram?: { dataPoints?: NumberPoint[] };
      }[];
    }[];
  }[];
}

function metricsOf(text: string): ReceivedMetric[] {
  const request = JSON.parse(text) as MetricsRequest;
  return (request.resourceMetrics ?? []).flatMap((resource) =>
    (resource.scopeMetrics ?? []).flatMap((scope) =>
      (scope.metrics ?? []).map((metric) => {
        const kind = metric.sum ? 'sum' : metric.gauge ? 'gauge' : metric.histogram ? 'histogram' : 'other';
        const points = (metric.sum ?? metric.gauge ?? metric.histogram)?.dataPoints ?? [];
        return {
          name: metric.name,
          unit: metric.unit ?? '',
          kind,
          points: points.map((point) => ({
            attributes: attributesOf(point.attributes),
            ...(point.asDouble !== undefined ? { value: point.asDouble } : {}),
            ...(point.asInt !== undefined ? { value: Number(point.asInt) } : {}),
            ...(point.count !== undefined ? { count: Number(point.count) } : {}),
            ...(point.sum !== undefined ? { sum: point.sum } : {}),
          })),
        } satisfies ReceivedMetric;
      }),
    ),
  );
}
