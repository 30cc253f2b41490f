/**
 * The recorder on the real OpenTelemetry SDK with in-memory exporters: which spans the kernel's
 * events make, how they nest (a delegated agent under its parent's delegating tool call), their
 * GenAI attributes, the metrics, and that no content leaves without capture_content.
 */
import { type Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { MeterProvider, type MetricData, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { GenAiRecorder, type RecorderOptions } from '../src/index.js';
import {
  ANSWER,
  CHILD_TASK,
  delegationScript,
  EventScript,
  MODELS,
  PROMPT,
  SECRET,
  TOOL_OUTPUT,
} from './events.js';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function setup(options: Partial<RecorderOptions> = {}) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const recorder = new GenAiRecorder({
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
    describeAgent: (id) => MODELS[id as keyof typeof MODELS],
    ...options,
  });
  return {
    recorder,
    /** The ended spans, once exported (SimpleSpanProcessor exports asynchronously). */
    async spans(): Promise<ReadableSpan[]> {
      await tracerProvider.forceFlush();
      return exporter.getFinishedSpans();
    },
    async metric(name: string): Promise<MetricData | undefined> {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    },
  };
}

const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const one = (spans: ReadableSpan[], name: string) => {
  const found = byName(spans, name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** What of a span could carry text out: its name, attributes, events and status. */
const exported = (spans: ReadableSpan[]) =>
  JSON.stringify(spans.map((s) => ({ n: s.name, a: s.attributes, e: s.events, st: s.status })));

/** A metric's points as [attributes, value] (sums) or [attributes, {count, sum}] (histograms). */
function points(metric: MetricData | undefined): [Attributes, unknown][] {
  if (!metric) return [];
  return (metric.dataPoints as { attributes: Attributes; value: unknown }[]).map((p) => [
    p.attributes,
    p.value,
  ]);
}

describe('GenAiRecorder spans', () => {
  it('an agent run is an invoke_agent span over chat and execute_tool spans; a delegated run sits under the delegating call, in one trace', async () => {
    const { recorder, spans } = setup();
    for (const envelope of delegationScript().envelopes) recorder.onEvent(envelope);
    const all = await spans();
    expect(all.every((s) => s.ended)).toBe(true);

    const root = one(all, 'invoke_agent default');
    const child = one(all, 'invoke_agent alpha');
    const delegate = one(all, 'execute_tool delegate_to_agent');
    const fileRead = one(all, 'execute_tool file_read');
    const rootChats = byName(all, 'chat gpt-4o');
    const childChats = byName(all, 'chat claude-sonnet-4-5');
    expect(rootChats).toHaveLength(2);
    expect(childChats).toHaveLength(2);
    expect(all).toHaveLength(8);

    // One trace; the tree: root > (chat, delegate > alpha > (chat, file_read, chat), chat).
    expect(new Set(all.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(parentOf(root)).toBeUndefined();
    for (const chat of rootChats) expect(parentOf(chat)).toBe(idOf(root));
    expect(parentOf(delegate)).toBe(idOf(root));
    expect(parentOf(child)).toBe(idOf(delegate));
    for (const span of [...childChats, fileRead]) expect(parentOf(span)).toBe(idOf(child));

    expect(root.kind).toBe(SpanKind.INTERNAL);
    expect(root.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'default',
      'gen_ai.agent.id': 'ag-root',
      'gen_ai.conversation.id': 'sess-root',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'oxydra.provider': 'openai',
      'gen_ai.usage.input_tokens': 250,
      'gen_ai.usage.output_tokens': 25,
      'oxydra.turns': 2,
      'oxydra.cost_usd': 0.0025,
    });
    expect(root.status.code).toBe(SpanStatusCode.UNSET);
    expect(childChats[0]!.kind).toBe(SpanKind.CLIENT);
    expect(childChats[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'oxydra.provider': 'claude',
      'gen_ai.agent.name': 'alpha',
      'gen_ai.conversation.id': 'sess-child',
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'oxydra.turn': 1,
    });
    expect(childChats[1]!.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(fileRead.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'file_read',
      'gen_ai.tool.call.id': 'call-2',
      'gen_ai.tool.type': 'function',
    });
    expect(recorder.trackedAgents).toBe(0);
  });

  it('two delegations from one reply: each child under the call that asked for it', async () => {
    const { recorder, spans } = setup();
    const s = new EventScript();
    s.emit('r', { type: 'agent_spawned', agentId: 'r', name: 'default', task: 'split' });
    s.modelCall('r', 1, { input: 1, output: 1, finish: 'tool_calls' });
    for (const [id, agent] of [
      ['c1', 'alpha'],
      ['c2', 'beta'],
    ] as const) {
      s.emit('r', {
        type: 'tool_execution_start',
        id,
        name: 'delegate_to_agent',
        arguments: { agent, task: `task for ${agent}` },
      });
    }
    // Spawned in the other order than the calls started.
    s.emit('b', {
      type: 'agent_spawned',
      agentId: 'b',
      parentAgentId: 'r',
      name: 'beta',
      task: 'task for beta',
    });
    s.emit('a', {
      type: 'agent_spawned',
      agentId: 'a',
      parentAgentId: 'r',
      name: 'alpha',
      task: 'task for alpha',
    });
    for (const id of ['a', 'b']) {
      s.emit(id, { type: 'run_completed', text: '', usage: {}, costUsd: 0, turns: 0 });
      s.emit(id, { type: 'agent_exited', agentId: id, status: 'completed' });
    }
    for (const id of ['c1', 'c2']) {
      s.emit('r', {
        type: 'tool_execution_end',
        id,
        name: 'delegate_to_agent',
        isError: false,
        content: '',
        durationMs: 1,
      });
    }
    s.emit('r', { type: 'run_completed', text: '', usage: {}, costUsd: 0, turns: 1 });
    for (const envelope of s.envelopes) recorder.onEvent(envelope);
    const all = await spans();
    const calls = byName(all, 'execute_tool delegate_to_agent');
    const callFor = (id: string) => calls.find((c) => c.attributes['gen_ai.tool.call.id'] === id)!;
    expect(parentOf(one(all, 'invoke_agent alpha'))).toBe(idOf(callFor('c1')));
    expect(parentOf(one(all, 'invoke_agent beta'))).toBe(idOf(callFor('c2')));
  });

  it('a failed model call and run are errors with error.type; a killed agent ends its open spans', async () => {
    const { recorder, spans } = setup();
    const s = new EventScript();
    s.emit('ag-root', { type: 'agent_spawned', agentId: 'ag-root', name: 'default', task: 'x' });
    s.emit('ag-root', { type: 'turn_start', turn: 1, maxTurns: 4 });
    s.emit('ag-root', {
      type: 'error',
      code: 'provider_error',
      kind: 'rate_limit',
      message: `429 for ${SECRET}`,
    });
    s.emit('ag-root', {
      type: 'run_failed',
      text: '',
      usage: {},
      costUsd: null,
      turns: 1,
      error: { code: 'provider_error', message: `rate limited ${SECRET}` },
    });
    s.emit('ag-root', { type: 'agent_exited', agentId: 'ag-root', status: 'failed' });
    s.emit('ag-k', { type: 'agent_spawned', agentId: 'ag-k', name: 'default', task: 'y' });
    s.emit('ag-k', { type: 'tool_execution_start', id: 't', name: 'shell_exec', arguments: {} });
    s.emit('ag-k', { type: 'agent_exited', agentId: 'ag-k', status: 'killed', reason: 'by the user' });
    for (const envelope of s.envelopes) recorder.onEvent(envelope);
    const all = await spans();
    const chat = one(all, 'chat gpt-4o');
    expect(chat.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rate_limit' });
    expect(chat.attributes['error.type']).toBe('rate_limit');
    const [failed, killed] = byName(all, 'invoke_agent default');
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'provider_error' });
    expect(failed!.attributes['error.type']).toBe('provider_error');
    expect(killed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(killed!.attributes['error.type']).toBe('cancelled');
    expect(one(all, 'execute_tool shell_exec').status.code).toBe(SpanStatusCode.ERROR);
    expect(all.every((span) => span.ended)).toBe(true);
    // Error messages are content: not exported without capture_content.
    expect(exported(all)).not.toContain(SECRET);
    expect(exported(all)).not.toContain('rate limited');
  });

  it("a keepAlive agent's every turn is its own invoke_agent span (its own trace)", async () => {
    const { recorder, spans } = setup();
    const s = new EventScript();
    s.emit('ag-root', { type: 'agent_spawned', agentId: 'ag-root', name: 'default', task: 'hi' });
    for (const turn of [1, 2]) {
      s.modelCall('ag-root', 1, { text: `answer ${turn}`, input: 5, output: 5 }, { sessionId: 'sess-1' });
      s.emit(
        'ag-root',
        { type: 'run_completed', text: '', usage: {}, costUsd: 0, turns: 1 },
        { sessionId: 'sess-1' },
      );
    }
    for (const envelope of s.envelopes) recorder.onEvent(envelope);
    expect(recorder.trackedAgents).toBe(1);
    recorder.onEvent({
      seq: 99,
      agentId: 'ag-root',
      event: { type: 'agent_exited', agentId: 'ag-root', status: 'completed' },
    });
    expect(recorder.trackedAgents).toBe(0);
    const runs = byName(await spans(), 'invoke_agent default');
    expect(runs).toHaveLength(2);
    expect(runs[0]!.spanContext().traceId).not.toBe(runs[1]!.spanContext().traceId);
    expect(runs.map((r) => r.attributes['gen_ai.conversation.id'])).toEqual(['sess-1', 'sess-1']);
    for (const chat of byName(await spans(), 'chat gpt-4o')) {
      expect(runs.map(idOf)).toContain(parentOf(chat));
    }
  });

  it('a malformed event is dropped, never thrown into the run', async () => {
    const { recorder } = setup();
    recorder.onEvent({
      seq: 1,
      agentId: 'x',
      event: { type: 'agent_spawned', agentId: 'x', name: 'n', task: 't' },
    });
    expect(() =>
      recorder.onEvent({
        seq: 2,
        agentId: 'x',
        // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed
        event: { type: 'tool_execution_start', id: 'i', name: 'n', arguments: null } as any,
      }),
    ).not.toThrow();
  });
});

describe('GenAiRecorder content', () => {
  it('without capture_content no prompt, answer, task, tool output or secret is in any span', async () => {
    const { recorder, spans } = setup();
    for (const envelope of delegationScript().envelopes) recorder.onEvent(envelope);
    const text = exported(await spans());
    for (const content of [PROMPT, CHILD_TASK, ANSWER, TOOL_OUTPUT, 'alpha found', SECRET]) {
      expect(text).not.toContain(content);
    }
    expect((await spans()).flatMap((s) => s.events)).toEqual([]);
  });

  it('with capture_content: prompts, answers and tool I/O as span events, scrubbed and cut', async () => {
    const { recorder, spans } = setup({
      captureContent: true,
      scrub: (text) => text.replaceAll(SECRET, '[REDACTED]'),
    });
    for (const envelope of delegationScript().envelopes) recorder.onEvent(envelope);
    const all = await spans();
    const root = one(all, 'invoke_agent default');
    expect(root.events.map((e) => e.name)).toEqual(['gen_ai.user.message', 'gen_ai.choice']);
    expect(root.events[0]!.attributes!.content).toBe(`${PROMPT} with key [REDACTED]`);
    expect(root.events[1]!.attributes!.content).toBe(ANSWER);
    expect(one(all, 'invoke_agent alpha').events[0]!.attributes!.content).toBe(CHILD_TASK);
    const fileRead = one(all, 'execute_tool file_read');
    expect(fileRead.events.map((e) => e.name)).toEqual(['gen_ai.tool.call', 'gen_ai.tool.result']);
    expect(fileRead.events[1]!.attributes!['gen_ai.tool.call.result']).toBe(`${TOOL_OUTPUT} [REDACTED]`);
    const lastChat = byName(all, 'chat gpt-4o')[1]!;
    expect(lastChat.events[0]).toMatchObject({
      name: 'gen_ai.choice',
      attributes: { content: ANSWER, finish_reason: 'stop' },
    });
    expect(exported(all)).not.toContain(SECRET);
  });
});

describe('GenAiRecorder metrics', () => {
  it('tokens, cost, durations, tool executions, turns and active agents', async () => {
    const { recorder, metric } = setup();
    const envelopes = delegationScript().envelopes;
    // Mid-run: both agents alive.
    const childSpawn = envelopes.findIndex(
      (e) => e.event.type === 'agent_spawned' && e.agentId === 'ag-child',
    );
    for (const envelope of envelopes.slice(0, childSpawn + 1)) recorder.onEvent(envelope);
    expect(points(await metric('oxydra.agents.active'))).toEqual([
      [{ 'gen_ai.agent.name': 'default' }, 1],
      [{ 'gen_ai.agent.name': 'alpha' }, 1],
    ]);
    for (const envelope of envelopes.slice(childSpawn + 1)) recorder.onEvent(envelope);
    expect(points(await metric('oxydra.agents.active')).map(([, v]) => v)).toEqual([0, 0]);

    const tokens = await metric('gen_ai.client.token.usage');
    expect(tokens?.descriptor.unit).toBe('{token}');
    const histogram = (attributes: Attributes) =>
      points(tokens).find(([a]) => JSON.stringify(a) === JSON.stringify(attributes))?.[1] as
        | { count: number; sum: number }
        | undefined;
    const openai = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'oxydra.provider': 'openai',
    };
    expect(histogram({ ...openai, 'gen_ai.token.type': 'input' })).toMatchObject({ count: 2, sum: 250 });
    expect(histogram({ ...openai, 'gen_ai.token.type': 'output' })).toMatchObject({ count: 2, sum: 25 });

    const totals = points(await metric('oxydra.provider.tokens'));
    const anthropicInput = totals.find(
      ([a]) => a['gen_ai.provider.name'] === 'anthropic' && a['gen_ai.token.type'] === 'input',
    );
    expect(anthropicInput?.[1]).toBe(100);
    const cost = points(await metric('oxydra.provider.cost'));
    const spent = cost.reduce((sum, [, v]) => sum + (v as number), 0);
    expect(spent).toBeCloseTo(0.0035, 10);
    expect((await metric('oxydra.provider.cost'))?.descriptor.unit).toBe('USD');

    const calls = points(await metric('gen_ai.client.operation.duration'));
    expect(calls.reduce((n, [, v]) => n + (v as { count: number }).count, 0)).toBe(4);
    expect((await metric('gen_ai.client.operation.duration'))?.descriptor.unit).toBe('s');
    const tools = points(await metric('oxydra.tool.executions'));
    expect(tools.map(([a, v]) => [a['gen_ai.tool.name'], a['oxydra.tool.status'], v]).sort()).toEqual([
      ['delegate_to_agent', 'ok', 1],
      ['file_read', 'ok', 1],
    ]);
    const toolTime = points(await metric('oxydra.tool.duration')).find(
      ([a]) => a['gen_ai.tool.name'] === 'file_read',
    );
    // The runtime's own measure of the call (12 ms), not the time between the events.
    expect(toolTime?.[1]).toMatchObject({ count: 1, sum: 0.012 });
    const turns = points(await metric('oxydra.turn.duration'));
    expect(
      turns
        .map(([a, v]) => [a['gen_ai.agent.name'], a['oxydra.outcome'], (v as { count: number }).count])
        .sort(),
    ).toEqual([
      ['alpha', 'completed', 1],
      ['default', 'completed', 1],
    ]);
  });

  it('approval waits by outcome', async () => {
    let clock = 1000;
    const { recorder, metric } = setup({ now: () => clock });
    const s = new EventScript();
    s.emit('a', { type: 'agent_spawned', agentId: 'a', name: 'default', task: 't' });
    s.emit('a', { type: 'approval_requested', id: 'ap1', agentId: 'a', tool: 'shell_exec' });
    for (const envelope of s.envelopes) recorder.onEvent(envelope);
    clock += 2500;
    recorder.onEvent({
      seq: 9,
      agentId: 'a',
      event: { type: 'approval_resolved', id: 'ap1', agentId: 'a', allow: true, by: 'respond' },
    });
    recorder.onEvent({
      seq: 10,
      agentId: 'a',
      event: { type: 'approval_requested', id: 'ap2', agentId: 'a', tool: 'shell_exec' },
    });
    clock += 500;
    recorder.onEvent({
      seq: 11,
      agentId: 'a',
      event: { type: 'approval_resolved', id: 'ap2', agentId: 'a', allow: false, by: 'timeout' },
    });
    const waits = points(await metric('oxydra.approval.wait'));
    expect(
      waits
        .map(([a, v]) => [a['oxydra.approval.outcome'], a['gen_ai.tool.name'], (v as { sum: number }).sum])
        .sort(),
    ).toEqual([
      ['allowed', 'shell_exec', 2.5],
      ['timeout', 'shell_exec', 0.5],
    ]);
  });
});
