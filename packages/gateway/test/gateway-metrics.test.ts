/**
 * GET /metrics: Prometheus text of the kernel's OpenTelemetry metrics, read by a real
 * Prometheus text parser after a turn with a tool call (tokens, dollars, durations, tool
 * executions); a token is needed, and an operator or admin one (the metrics count every user's
 * usage); with [otel] off, 404 naming the setting.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import {
  jsonOf,
  postJson,
  ScriptedModel,
  startTestGateway,
  type TestGateway,
  TOKEN,
  toolCallReply,
} from './helpers.js';

interface PromFamily {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }[];
}
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromFamily[];

const running: TestGateway[] = [];
afterEach(async () => {
  for (const env of running.splice(0)) await env.cleanup();
});

async function gateway(otel: { enabled: boolean }): Promise<TestGateway> {
  // A tool call, then the echo: one turn, two model calls, one tool execution.
  const model = new ScriptedModel(async function* () {
    if (model.calls.length === 1) {
      yield* toolCallReply('call-1', 'file_list', {});
      return;
    }
    yield { type: 'text_delta', text: 'three files' };
    yield { type: 'usage', usage: { inputTokens: 10, outputTokens: 2 } };
    yield { type: 'finish', reason: 'stop' };
  });
  // No OTLP export: /metrics reads the meter directly, nothing goes on the network.
  const env = await startTestGateway({ model, config: { otel: { ...otel, traces: false, metrics: false } } });
  running.push(env);
  return env;
}

const get = (env: TestGateway, token: string | undefined) =>
  fetch(`${env.gateway.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('GET /metrics', () => {
  it('serves Prometheus text a Prometheus parser reads: tokens, cost, durations and tools after a turn', async () => {
    const env = await gateway({ enabled: true });
    const turn = await postJson(env.gateway, '/v1/chat/completions', {
      model: 'default',
      messages: [{ role: 'user', content: 'list the files' }],
    });
    expect(turn.status).toBe(200);
    expect((await jsonOf(turn)).choices[0].message.content).toBe('three files');

    const response = await get(env, TOKEN);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusTextFormat(await response.text());
    const family = (name: string) => {
      const found = families.find((f) => f.name === name);
      expect(found, `${name} among ${families.map((f) => f.name).join(', ')}`).toBeDefined();
      return found!;
    };
    const tokens = family('oxydra_provider_tokens_total');
    expect(tokens.type).toBe('COUNTER');
    const input = tokens.metrics.find(
      (m) => m.labels?.gen_ai_token_type === 'input' && m.labels.gen_ai_request_model === 'gpt-4o-mini',
    );
    // The answer reported 10 input tokens; the tool-call reply none.
    expect(input?.value).toBe('10');
    expect(input?.labels).toMatchObject({ gen_ai_provider_name: 'openai', oxydra_provider: 'openai' });
    const cost = family('oxydra_provider_cost_usd_total');
    expect(Number(cost.metrics[0]?.value)).toBeGreaterThan(0);
    for (const name of [
      'gen_ai_client_token_usage',
      'gen_ai_client_operation_duration_seconds',
      'oxydra_turn_duration_seconds',
      'oxydra_tool_duration_seconds',
    ]) {
      expect(family(name).type).toBe('HISTOGRAM');
      expect(Number(family(name).metrics[0]?.buckets?.['+Inf'])).toBeGreaterThanOrEqual(1);
    }
    const tools = family('oxydra_tool_executions_total').metrics;
    expect(tools.map((m) => [m.labels?.gen_ai_tool_name, m.labels?.oxydra_tool_status, m.value])).toEqual([
      ['file_list', 'ok', '1'],
    ]);
    const active = family('oxydra_agents_active');
    expect(active.type).toBe('GAUGE');
    expect(active.metrics.map((m) => m.value)).toEqual(['0']);
    // Nothing of the conversation is in the metrics.
    expect(JSON.stringify(families)).not.toContain('list the files');
    expect(JSON.stringify(families)).not.toContain('three files');
  });

  it('needs a token, and an operator or admin one', async () => {
    const env = await gateway({ enabled: true });
    expect((await get(env, undefined)).status).toBe(401);
    const user = (await (await env.kernel.service('tokens')).add('alice', 'user', '', 'test')).token;
    const refused = await get(env, user);
    expect(refused.status).toBe(403);
    expect((await jsonOf(refused)).error.message).toBe(
      "reading the metrics needs the operator role; this token's role is user",
    );
    const operator = (await (await env.kernel.service('tokens')).add('ops', 'operator', 'prometheus', 'test'))
      .token;
    expect((await get(env, operator)).status).toBe(200);
  });

  it('with [otel] off: 404 saying how to turn it on', async () => {
    const env = await gateway({ enabled: false });
    const response = await get(env, TOKEN);
    expect(response.status).toBe(404);
    expect((await jsonOf(response)).error.message).toContain('set [otel] enabled = true');
  });
});
