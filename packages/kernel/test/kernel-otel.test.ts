/**
 * OpenTelemetry through a real kernel: a scripted model (the testkit's mock OpenAI server)
 * delegating to two agents, spans and metrics exported over OTLP/HTTP to a real receiver. The
 * trace is one tree (each delegated run under the parent's delegate_to_agent call), spans carry
 * the GenAI attributes, and with capture_content off no prompt, answer or secret leaves the
 * process; with it on, content is exported scrubbed of every known secret.
 */

import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '@oxydra/otel/testing/otlp-receiver';
import type { ScenarioStep } from '@oxydra/testkit';
import type { AgentConfigInput } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, KEY, testKernel } from './helpers.js';

const receivers: OtlpReceiver[] = [];
afterEach(async () => {
  await closeAll();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

const HEADER_TOKEN = 'otlp-collector-token-abcdef0123456789';

const delegate = (...calls: [string, string][]): ScenarioStep['reply'] => ({
  toolCalls: calls.map(([agent, task]) => ({ name: 'delegate_to_agent', arguments: { agent, task } })),
  usage: { input: 50, output: 5 },
});

const STEPS: ScenarioStep[] = [
  { match: { callIndex: 0 }, reply: delegate(['alpha', 'ALPHA-TASK'], ['beta', 'BETA-TASK']) },
  {
    match: { lastMessageContains: 'ALPHA-TASK' },
    reply: { text: 'alpha found 41 files', usage: { input: 30, output: 4 } },
  },
  {
    match: { lastMessageContains: 'BETA-TASK' },
    reply: { text: 'beta wrote the report', usage: { input: 20, output: 3 } },
  },
  {
    match: { lastToolResultContains: 'beta wrote' },
    reply: { text: 'Both are done.', usage: { input: 80, output: 4 } },
  },
];

/** The prompt carries the provider key and the collector's token: neither may be exported. */
const PROMPT = `split the work (key ${KEY}, token ${HEADER_TOKEN})`;

/** testKernel's environment plus the collector's headers. */
async function run(otel: AgentConfigInput['otel'] = {}) {
  const receiver = await startOtlpReceiver();
  receivers.push(receiver);
  const { kernel } = await testKernel(
    STEPS,
    {
      agents: {
        alpha: { description: 'reads things', system_prompt: 'You are alpha.' },
        beta: {
          description: 'writes things',
          system_prompt: 'You are beta.',
          selection: { model: 'gpt-4.1-mini' },
        },
      },
      otel: { enabled: true, endpoint: receiver.url, headers_env: 'OTLP_HEADERS', ...otel },
    },
    {
      env: {
        MOCK_KEY: KEY,
        OTLP_HEADERS: `authorization=Bearer ${HEADER_TOKEN}`,
        PATH: process.env.PATH ?? '/usr/bin:/bin',
      },
    },
  );
  const parent = kernel.agents.spawn({ prompt: PROMPT, selection: { model: 'gpt-4o' } });
  const result = await parent.result;
  expect(result).toMatchObject({ status: 'completed', text: 'Both are done.' });
  await kernel.telemetry!.flush();
  return { kernel, receiver, result, parentId: parent.id };
}

const named = (spans: ReceivedSpan[], name: string) => spans.filter((span) => span.name === name);

describe('OpenTelemetry through the kernel', () => {
  it('exports one trace per delegation tree with GenAI attributes, and no content or secret', async () => {
    const { receiver, result, parentId } = await run();
    for (const body of receiver.bodies) expect(body.headers.authorization).toBe(`Bearer ${HEADER_TOKEN}`);
    const spans = receiver.spans();
    expect(spans.map((s) => s.name).sort()).toEqual([
      'chat gpt-4.1-mini',
      'chat gpt-4o',
      'chat gpt-4o',
      'chat gpt-4o',
      'execute_tool delegate_to_agent',
      'execute_tool delegate_to_agent',
      'invoke_agent alpha',
      'invoke_agent beta',
      'invoke_agent default',
    ]);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const [root] = named(spans, 'invoke_agent default');
    expect(root!.parentSpanId).toBeUndefined();
    expect(root!.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'default',
      'gen_ai.agent.id': parentId,
      'gen_ai.conversation.id': result.sessionId,
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'oxydra.provider': 'mock',
    });
    expect(root!.resource).toMatchObject({ 'service.name': 'oxydra', 'oxydra.host': 'test' });

    // Each delegated run hangs under the delegate_to_agent call that asked for it, under the root.
    const calls = named(spans, 'execute_tool delegate_to_agent');
    for (const call of calls) {
      expect(call.parentSpanId).toBe(root!.spanId);
      expect(call.attributes).toMatchObject({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'delegate_to_agent',
      });
    }
    const [alpha] = named(spans, 'invoke_agent alpha');
    const [beta] = named(spans, 'invoke_agent beta');
    expect(calls.map((c) => c.spanId)).toContain(alpha!.parentSpanId);
    expect(calls.map((c) => c.spanId)).toContain(beta!.parentSpanId);
    expect(alpha!.parentSpanId).not.toBe(beta!.parentSpanId);
    // alpha runs its caller's model; beta its own.
    expect(beta!.attributes['gen_ai.request.model']).toBe('gpt-4.1-mini');
    const betaChat = named(spans, 'chat gpt-4.1-mini')[0]!;
    expect(betaChat.parentSpanId).toBe(beta!.spanId);
    expect(betaChat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.agent.name': 'beta',
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    const rootChats = named(spans, 'chat gpt-4o').filter((s) => s.parentSpanId === root!.spanId);
    expect(rootChats.map((s) => s.attributes['gen_ai.response.finish_reasons'])).toEqual(
      expect.arrayContaining([['tool_calls'], ['stop']]),
    );
    expect(rootChats.find((s) => s.attributes['gen_ai.usage.input_tokens'] === 50)).toBeDefined();

    // Metrics went too.
    const metrics = receiver.metrics().map((m) => m.name);
    for (const name of [
      'gen_ai.client.token.usage',
      'gen_ai.client.operation.duration',
      'oxydra.provider.cost',
      'oxydra.turn.duration',
    ]) {
      expect(metrics).toContain(name);
    }

    // Off by default: no prompt, task, answer or secret in anything exported.
    const exported = receiver.bodies.map((b) => b.text).join('\n');
    for (const content of [
      'split the work',
      'ALPHA-TASK',
      'BETA-TASK',
      'alpha found',
      'Both are done',
      KEY,
      HEADER_TOKEN,
    ]) {
      expect(exported).not.toContain(content);
    }
    expect(spans.flatMap((s) => s.events)).toEqual([]);
  });

  it('with capture_content the prompts and answers are exported, every known secret scrubbed', async () => {
    const { receiver } = await run({ capture_content: true });
    const spans = receiver.spans();
    const [root] = named(spans, 'invoke_agent default');
    const asked = root!.events.find((e) => e.name === 'gen_ai.user.message')!.attributes.content as string;
    expect(asked).toContain('split the work');
    expect(named(spans, 'invoke_agent alpha')[0]!.events[0]!.attributes.content).toBe('ALPHA-TASK');
    expect(root!.events.find((e) => e.name === 'gen_ai.choice')?.attributes.content).toBe('Both are done.');
    const exported = receiver.bodies.map((b) => b.text).join('\n');
    expect(exported).toContain('alpha found 41 files');
    // The provider key and the collector's token (headers_env) are known secrets.
    expect(exported).not.toContain(KEY);
    expect(exported).not.toContain(HEADER_TOKEN);
  });

  it('off (the default): no telemetry, nothing exported', async () => {
    const receiver = await startOtlpReceiver();
    receivers.push(receiver);
    const { kernel } = await testKernel([{ reply: { text: 'done' } }], { otel: { endpoint: receiver.url } });
    expect(kernel.telemetry).toBeUndefined();
    const parent = kernel.agents.spawn({ prompt: 'split the work' });
    expect((await parent.result).status).toBe('completed');
    await closeAll();
    expect(receiver.bodies).toEqual([]);
  });
});
