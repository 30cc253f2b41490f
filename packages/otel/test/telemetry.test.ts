/**
 * startTelemetry end to end: the real OTLP/HTTP exporters posting to a real receiver (JSON
 * bodies, the headers from headers_env), the Prometheus text read by a real Prometheus text
 * parser, export failures reported once without a header value, and nothing sent when both
 * exports are off.
 */
import { createRequire } from 'node:module';
import { otelSchema } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { exportHeaders, startTelemetry, type Telemetry } from '../src/index.js';
import { delegationScript, MODELS, SECRET } from './events.js';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

interface PromSample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface PromFamily {
  name: string;
  help: string;
  type: string;
  metrics: PromSample[];
}
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromFamily[];

const HEADER_VALUE = 'Bearer otlp-header-credential-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): Promise<{ telemetry: Telemetry; receiver: OtlpReceiver; warnings: string[] }> {
  const receiver = await startOtlpReceiver();
  const warnings: string[] = [];
  const telemetry = startTelemetry({
    config: otelSchema().parse({ enabled: true, endpoint: receiver.url, ...config }),
    env,
    describeAgent: (id) => MODELS[id as keyof typeof MODELS],
    warn: (message) => warnings.push(message),
    resourceAttributes: { 'oxydra.host': 'test' },
  });
  cleanups.push(
    () => receiver.close(),
    () => telemetry.shutdown(),
  );
  return { telemetry, receiver, warnings };
}

describe('startTelemetry', () => {
  it('exports spans and metrics as OTLP/HTTP JSON with the configured headers and resource', async () => {
    const { telemetry, receiver, warnings } = await started(
      { headers_env: 'OTLP_HEADERS', service_name: 'oxydra-test' },
      { OTLP_HEADERS: `authorization=${encodeURIComponent(HEADER_VALUE)},x-team=agents` },
    );
    for (const envelope of delegationScript().envelopes) telemetry.onEvent(envelope);
    await telemetry.shutdown();

    expect(receiver.bodies.map((b) => b.path).sort()).toEqual(['/v1/metrics', '/v1/traces']);
    for (const body of receiver.bodies) {
      expect(body.headers['content-type']).toMatch(/^application\/json/);
      expect(body.headers.authorization).toBe(HEADER_VALUE);
      expect(body.headers['x-team']).toBe('agents');
    }
    const spans = receiver.spans();
    expect(spans.map((s) => s.name).sort()).toEqual([
      'chat claude-sonnet-4-5',
      'chat claude-sonnet-4-5',
      'chat gpt-4o',
      'chat gpt-4o',
      'execute_tool delegate_to_agent',
      'execute_tool file_read',
      'invoke_agent alpha',
      'invoke_agent default',
    ]);
    const root = spans.find((s) => s.name === 'invoke_agent default')!;
    const child = spans.find((s) => s.name === 'invoke_agent alpha')!;
    const delegate = spans.find((s) => s.name === 'execute_tool delegate_to_agent')!;
    expect(child.parentSpanId).toBe(delegate.spanId);
    expect(delegate.parentSpanId).toBe(root.spanId);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(root.resource).toMatchObject({ 'service.name': 'oxydra-test', 'oxydra.host': 'test' });
    expect(spans.find((s) => s.name === 'chat gpt-4o')!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 10,
      'gen_ai.response.finish_reasons': ['tool_calls'],
    });

    const metrics = receiver.metrics();
    const tokens = metrics.find((m) => m.name === 'gen_ai.client.token.usage')!;
    expect(tokens).toMatchObject({ kind: 'histogram', unit: '{token}' });
    expect(tokens.points.map((p) => [p.attributes['gen_ai.token.type'], p.count, p.sum]).sort()).toEqual([
      ['input', 2, 100],
      ['input', 2, 250],
      ['output', 2, 10],
      ['output', 2, 25],
    ]);
    expect(metrics.find((m) => m.name === 'oxydra.provider.cost')).toMatchObject({
      kind: 'sum',
      unit: 'USD',
    });
    expect(warnings).toEqual([]);
    // The header's value went in the headers only.
    expect(receiver.bodies.some((b) => b.text.includes('otlp-header-credential'))).toBe(false);
  });

  it('serves the metrics as Prometheus text that a Prometheus parser reads, unit-suffixed', async () => {
    const { telemetry } = await started({ traces: false, metrics: false });
    for (const envelope of delegationScript().envelopes) telemetry.onEvent(envelope);
    const families = parsePrometheusTextFormat(await telemetry.prometheusText());
    const family = (name: string) => {
      const found = families.find((f) => f.name === name);
      expect(found, `${name} in ${families.map((f) => f.name).join(', ')}`).toBeDefined();
      return found!;
    };
    expect(family('oxydra_turn_duration_seconds').type).toBe('HISTOGRAM');
    expect(family('gen_ai_client_operation_duration_seconds').type).toBe('HISTOGRAM');
    expect(family('gen_ai_client_token_usage').type).toBe('HISTOGRAM');
    expect(family('oxydra_tool_duration_seconds').type).toBe('HISTOGRAM');
    expect(family('oxydra_agents_active').type).toBe('GAUGE');
    const tokens = family('oxydra_provider_tokens_total');
    expect(tokens.type).toBe('COUNTER');
    const sample = tokens.metrics.find(
      (m) => m.labels?.gen_ai_request_model === 'gpt-4o' && m.labels.gen_ai_token_type === 'output',
    );
    expect(sample?.value).toBe('25');
    const cost = family('oxydra_provider_cost_usd_total');
    expect(cost.metrics.reduce((sum, m) => sum + Number(m.value), 0)).toBeCloseTo(0.0035, 10);
    const tools = family('oxydra_tool_executions_total');
    expect(tools.metrics.map((m) => [m.labels?.gen_ai_tool_name, m.value]).sort()).toEqual([
      ['delegate_to_agent', '1'],
      ['file_read', '1'],
    ]);
    // This parser keeps one series per histogram family (its flattening drops labels): the
    // buckets it read are a series' cumulative counts, +Inf the largest.
    const turns = family('oxydra_turn_duration_seconds').metrics[0]?.buckets ?? {};
    expect(Number(turns['+Inf'])).toBeGreaterThanOrEqual(1);
    expect(Object.keys(turns)).toContain('0.01');
    expect(family('target_info').metrics[0]?.labels).toMatchObject({ service_name: 'oxydra' });
  });

  it('with traces and metrics export off, nothing is sent', async () => {
    const { telemetry, receiver } = await started({ traces: false, metrics: false });
    for (const envelope of delegationScript().envelopes) telemetry.onEvent(envelope);
    await telemetry.flush();
    await telemetry.shutdown();
    expect(receiver.bodies).toEqual([]);
  });

  it('a failing receiver is reported once per run of failures, naming the URL, never a header value', async () => {
    const { telemetry, receiver, warnings } = await started(
      { metrics: false, headers_env: 'OTLP_HEADERS' },
      { OTLP_HEADERS: `authorization=${HEADER_VALUE} ${SECRET}` },
    );
    receiver.failNext(2, 400);
    const script = delegationScript().envelopes;
    for (const envelope of script) telemetry.onEvent(envelope);
    await telemetry.flush();
    for (const envelope of script) telemetry.onEvent(envelope);
    await telemetry.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`spans to ${receiver.url}/v1/traces failed`);
    expect(warnings.join('\n')).not.toContain('credential');
    expect(warnings.join('\n')).not.toContain(SECRET);
    // The receiver answers again: the next export goes through.
    for (const envelope of script) telemetry.onEvent(envelope);
    await telemetry.flush();
    expect(receiver.spans().length).toBeGreaterThan(0);
  });
});

describe('exportHeaders', () => {
  it('reads key=value pairs, percent-decoded; problems are named by position, never by value', () => {
    const warnings: string[] = [];
    const headers = exportHeaders(
      'H',
      { H: `Authorization=Bearer%20abc, x-a = b ,bad entry ${SECRET},=novalue` },
      (m) => warnings.push(m),
    );
    expect(headers).toEqual({ authorization: 'Bearer abc', 'x-a': 'b' });
    expect(warnings).toEqual([
      '[otel] H: entry 3 is not key=value with a header name as key; skipped',
      '[otel] H: entry 4 is not key=value with a header name as key; skipped',
    ]);
    expect(exportHeaders('MISSING', {}, (m) => warnings.push(m))).toEqual({});
    expect(warnings.at(-1)).toBe(
      '[otel] headers_env names MISSING, which is not set: exporting without its headers',
    );
    expect(exportHeaders(undefined, {}, (m) => warnings.push(m))).toEqual({});
  });
});
