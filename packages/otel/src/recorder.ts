/**
 * The kernel's events as GenAI telemetry. Each agent run is an `invoke_agent` span; each model
 * call a `chat <model>` span and each tool execution an `execute_tool <name>` span under it; a
 * delegated agent's run sits under the parent's delegating tool span, so one trace shows the
 * whole tree. Metrics are recorded as the spans end. Only the OpenTelemetry API is used here
 * (the SDK is set up in telemetry.ts), so tests can drive it with in-memory exporters.
 *
 * Content (prompts, answers, tool arguments and results, error messages) is read only when
 * `captureContent` is on, and then scrubbed and cut; otherwise no event text reaches a span.
 */
import {
  type Attributes,
  type Context,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { addUsage, type StreamEvent, type Usage } from '@oxydra/types';
import { ATTR, OPERATION, providerName } from './attributes.js';
import type { AgentModel, TelemetryEnvelope, TelemetryLifecycleEvent } from './envelope.js';
import { type Instruments, instruments } from './instruments.js';

/** Longest captured text per value; longer ones are cut (captured content is for reading, not replay). */
export const MAX_CONTENT_CHARS = 8192;

export interface RecorderOptions {
  tracer: Tracer;
  meter: Meter;
  /** The model an agent calls (the kernel's assembly); asked once per agent, at its spawn. */
  describeAgent?: (agentId: string) => AgentModel | undefined;
  /** Add prompts, answers and tool I/O to spans as events (scrubbed). Default false. */
  captureContent?: boolean;
  /** Removes secrets from captured text; applied to every captured value. */
  scrub?: (text: string) => string;
  /** Monotonic milliseconds, for the histograms; default performance.now(). */
  now?: () => number;
}

interface ToolState {
  span: Span;
  name: string;
  startedAt: number;
  /** What a delegating call asked for (in memory only): matches the agent it spawns. */
  delegate?: { agent: string; task: string };
  claimed?: boolean;
}

interface ChatState {
  span: Span;
  startedAt: number;
  usage: Usage;
  finishReason?: string;
  text: string;
}

interface RunState {
  span: Span;
  context: Context;
  startedAt: number;
  chat?: ChatState;
  tools: Map<string, ToolState>;
}

interface AgentState {
  id: string;
  name: string;
  model: AgentModel | undefined;
  sessionId?: string;
  /** Where this agent's runs hang: its parent's delegating tool span, or a new trace. */
  parentContext: Context;
  run?: RunState;
  /** The spawn's task, for the first run's captured prompt. */
  task?: string;
}

export class GenAiRecorder {
  readonly #tracer: Tracer;
  readonly #metrics: Instruments;
  readonly #describe: (agentId: string) => AgentModel | undefined;
  readonly #capture: boolean;
  readonly #scrub: (text: string) => string;
  readonly #now: () => number;
  readonly #agents = new Map<string, AgentState>();
  readonly #approvals = new Map<string, { startedAt: number; tool: string; agent: string }>();

  constructor(options: RecorderOptions) {
    this.#tracer = options.tracer;
    this.#metrics = instruments(options.meter);
    this.#describe = options.describeAgent ?? (() => undefined);
    this.#capture = options.captureContent === true;
    this.#scrub = options.scrub ?? ((text) => text);
    this.#now = options.now ?? (() => performance.now());
  }

  /** Agents whose state is kept (alive ones); for tests of the bookkeeping. */
  get trackedAgents(): number {
    return this.#agents.size;
  }

  /** One kernel event. Never throws: telemetry must not break a run. */
  onEvent(envelope: TelemetryEnvelope): void {
    try {
      this.#onEvent(envelope);
    } catch {
      // A bug here loses a span, not an agent's turn.
    }
  }

  /** Ends every open span (the kernel is closing): runs still going are marked cut short. */
  endAll(): void {
    for (const agent of this.#agents.values()) this.#endRun(agent, undefined, 'the kernel closed');
    this.#agents.clear();
    this.#approvals.clear();
  }

  #onEvent(envelope: TelemetryEnvelope): void {
    const { event } = envelope;
    if (event.type === 'agent_spawned') this.#spawned(envelope, event);
    else if (event.type === 'agent_exited') this.#exited(event);
    else if (event.type === 'approval_requested') this.#approvalRequested(event);
    else if (event.type === 'approval_resolved') this.#approvalResolved(event);
    else this.#streamEvent(envelope, event);
  }

  #spawned(
    envelope: TelemetryEnvelope,
    event: Extract<TelemetryLifecycleEvent, { type: 'agent_spawned' }>,
  ): void {
    const parent = event.parentAgentId !== undefined ? this.#agents.get(event.parentAgentId) : undefined;
    const agent: AgentState = {
      id: event.agentId,
      name: event.name,
      model: this.#describe(event.agentId),
      parentContext: parent ? this.#delegationContext(parent, event) : ROOT_CONTEXT,
      task: event.task,
    };
    if (envelope.sessionId !== undefined) agent.sessionId = envelope.sessionId;
    this.#agents.set(agent.id, agent);
    this.#metrics.activeAgents.add(1, { [ATTR.agentName]: agent.name });
    this.#startRun(agent);
  }

  /**
   * The span a delegated agent's runs hang under: the parent's open tool call that asked for an
   * agent of this name with this task (delegate_to_agent's arguments), else its other open tool
   * call, else the parent's run.
   */
  #delegationContext(
    parent: AgentState,
    event: Extract<TelemetryLifecycleEvent, { type: 'agent_spawned' }>,
  ): Context {
    const run = parent.run;
    if (!run) return parent.parentContext;
    const open = [...run.tools.values()].filter((tool) => !tool.claimed);
    const task = event.task.endsWith('…') ? event.task.slice(0, -1) : event.task;
    const byArgs = open.find(
      (tool) => tool.delegate?.agent === event.name && tool.delegate.task.startsWith(task),
    );
    const tool = byArgs ?? open.find((t) => t.delegate?.agent === event.name) ?? open.at(-1);
    if (!tool) return run.context;
    tool.claimed = true;
    return trace.setSpan(ROOT_CONTEXT, tool.span);
  }

  #exited(event: Extract<TelemetryLifecycleEvent, { type: 'agent_exited' }>): void {
    const agent = this.#agents.get(event.agentId);
    if (!agent) return;
    this.#endRun(agent, undefined, event.status === 'killed' ? 'killed' : undefined);
    this.#metrics.activeAgents.add(-1, { [ATTR.agentName]: agent.name });
    this.#agents.delete(agent.id);
  }

  #approvalRequested(event: Extract<TelemetryLifecycleEvent, { type: 'approval_requested' }>): void {
    const agent = this.#agents.get(event.agentId);
    this.#approvals.set(event.id, {
      startedAt: this.#now(),
      tool: event.tool,
      agent: agent?.name ?? 'unknown',
    });
    agent?.run?.span.addEvent('oxydra.approval.requested', { [ATTR.toolName]: event.tool });
  }

  #approvalResolved(event: Extract<TelemetryLifecycleEvent, { type: 'approval_resolved' }>): void {
    const pending = this.#approvals.get(event.id);
    if (!pending) return;
    this.#approvals.delete(event.id);
    const outcome = event.by === 'respond' ? (event.allow ? 'allowed' : 'denied') : event.by;
    this.#metrics.approvalWait.record(this.#seconds(pending.startedAt), {
      [ATTR.toolName]: pending.tool,
      [ATTR.agentName]: pending.agent,
      [ATTR.approvalOutcome]: outcome,
    });
    this.#agents.get(event.agentId)?.run?.span.addEvent('oxydra.approval.resolved', {
      [ATTR.toolName]: pending.tool,
      [ATTR.approvalOutcome]: outcome,
    });
  }

  #streamEvent(envelope: TelemetryEnvelope, event: StreamEvent): void {
    const agent = this.#agents.get(envelope.agentId);
    if (!agent) return;
    if (envelope.sessionId !== undefined && agent.sessionId === undefined) {
      agent.sessionId = envelope.sessionId;
      agent.run?.span.setAttribute(ATTR.conversationId, envelope.sessionId);
    }
    // A keepAlive agent's next turn: its run span opens with the turn's first event.
    const run = agent.run ?? this.#startRun(agent);
    switch (event.type) {
      case 'turn_start':
        this.#endChat(agent, run);
        this.#startChat(agent, run, event.turn);
        return;
      case 'text_delta':
        if (this.#capture && run.chat && run.chat.text.length < MAX_CONTENT_CHARS)
          run.chat.text += event.text;
        return;
      case 'usage':
        if (run.chat) run.chat.usage = addUsage(run.chat.usage, event.usage);
        return;
      case 'finish':
        if (run.chat) run.chat.finishReason = event.reason;
        this.#endChat(agent, run);
        return;
      case 'error':
        this.#endChat(agent, run, event.kind ?? event.code, event.message);
        return;
      case 'tool_execution_start':
        this.#endChat(agent, run);
        this.#startTool(run, event);
        return;
      case 'tool_execution_end':
        this.#endTool(run, event);
        return;
      case 'user_message':
        if (this.#capture) run.span.addEvent('gen_ai.user.message', { content: this.#content(event.text) });
        return;
      case 'run_completed':
      case 'run_failed':
        this.#endRun(agent, event);
        return;
      default:
        return;
    }
  }

  #modelAttributes(agent: AgentState): Attributes {
    const model = agent.model;
    if (!model) return {};
    const name = providerName(model.providerType);
    return {
      [ATTR.providerName]: name,
      [ATTR.system]: name,
      [ATTR.requestModel]: model.model,
      [ATTR.provider]: model.provider,
    };
  }

  #startRun(agent: AgentState): RunState {
    const span = this.#tracer.startSpan(
      `${OPERATION.agent} ${agent.name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [ATTR.operationName]: OPERATION.agent,
          [ATTR.agentName]: agent.name,
          [ATTR.agentId]: agent.id,
          ...(agent.sessionId !== undefined ? { [ATTR.conversationId]: agent.sessionId } : {}),
          ...this.#modelAttributes(agent),
        },
      },
      agent.parentContext,
    );
    if (this.#capture && agent.task !== undefined) {
      span.addEvent('gen_ai.user.message', { content: this.#content(agent.task) });
    }
    agent.task = undefined;
    const run: RunState = {
      span,
      context: trace.setSpan(ROOT_CONTEXT, span),
      startedAt: this.#now(),
      tools: new Map(),
    };
    agent.run = run;
    return run;
  }

  /** Ends the agent's run: with its outcome event, or cut short (killed, the kernel closing). */
  #endRun(
    agent: AgentState,
    event: Extract<StreamEvent, { type: 'run_completed' | 'run_failed' }> | undefined,
    cutShort?: string,
  ): void {
    const run = agent.run;
    if (!run) return;
    agent.run = undefined;
    const errorType = event?.error?.code ?? (event ? undefined : cutShort ? 'cancelled' : undefined);
    this.#endChat(agent, run, errorType);
    for (const [id, tool] of run.tools) this.#closeTool(run, id, tool, errorType ?? 'cancelled');
    const { span } = run;
    if (event) {
      const usage = event.usage;
      span.setAttributes({
        ...(usage.inputTokens !== undefined ? { [ATTR.inputTokens]: usage.inputTokens } : {}),
        ...(usage.outputTokens !== undefined ? { [ATTR.outputTokens]: usage.outputTokens } : {}),
        [ATTR.turns]: event.turns,
        ...(event.costUsd !== null ? { [ATTR.costUsd]: event.costUsd } : {}),
      });
      if (this.#capture && event.text) span.addEvent('gen_ai.choice', { content: this.#content(event.text) });
    }
    const outcome = event?.type === 'run_completed' ? 'completed' : errorType ? 'failed' : 'ended';
    if (errorType !== undefined) {
      span.setAttribute(ATTR.errorType, errorType);
      const message = event?.error?.message ?? cutShort;
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: this.#capture && message !== undefined ? this.#content(message) : errorType,
      });
    }
    span.end();
    // A turn cut short without an outcome (the agent killed, the kernel closing) is not timed.
    if (event) {
      this.#metrics.turnDuration.record(this.#seconds(run.startedAt), {
        [ATTR.agentName]: agent.name,
        [ATTR.outcome]: outcome,
      });
    }
  }

  #startChat(agent: AgentState, run: RunState, turn: number): void {
    const model = agent.model?.model;
    const span = this.#tracer.startSpan(
      model !== undefined ? `${OPERATION.chat} ${model}` : OPERATION.chat,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.operationName]: OPERATION.chat,
          [ATTR.agentName]: agent.name,
          ...(agent.sessionId !== undefined ? { [ATTR.conversationId]: agent.sessionId } : {}),
          ...this.#modelAttributes(agent),
          [ATTR.turn]: turn,
        },
      },
      run.context,
    );
    run.chat = { span, startedAt: this.#now(), usage: {}, text: '' };
  }

  #endChat(agent: AgentState, run: RunState, errorType?: string, message?: string): void {
    const chat = run.chat;
    if (!chat) return;
    run.chat = undefined;
    const { span, usage } = chat;
    span.setAttributes({
      ...(usage.inputTokens !== undefined ? { [ATTR.inputTokens]: usage.inputTokens } : {}),
      ...(usage.outputTokens !== undefined ? { [ATTR.outputTokens]: usage.outputTokens } : {}),
      ...(usage.cacheReadTokens !== undefined ? { [ATTR.cacheReadTokens]: usage.cacheReadTokens } : {}),
      ...(usage.cacheWriteTokens !== undefined ? { [ATTR.cacheWriteTokens]: usage.cacheWriteTokens } : {}),
      ...(usage.costUsd !== undefined ? { [ATTR.costUsd]: usage.costUsd } : {}),
      ...(chat.finishReason !== undefined ? { [ATTR.finishReasons]: [chat.finishReason] } : {}),
    });
    if (this.#capture && chat.text) {
      span.addEvent('gen_ai.choice', {
        content: this.#content(chat.text),
        ...(chat.finishReason !== undefined ? { finish_reason: chat.finishReason } : {}),
      });
    }
    const failed = errorType !== undefined && chat.finishReason === undefined;
    if (failed) {
      span.setAttribute(ATTR.errorType, errorType);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: this.#capture && message !== undefined ? this.#content(message) : errorType,
      });
    }
    span.end();

    const base: Attributes = { [ATTR.operationName]: OPERATION.chat, ...this.#modelAttributes(agent) };
    delete base[ATTR.system];
    this.#metrics.operationDuration.record(this.#seconds(chat.startedAt), {
      ...base,
      ...(failed ? { [ATTR.errorType]: errorType } : {}),
    });
    const tokens: [string, number | undefined][] = [
      ['input', usage.inputTokens],
      ['output', usage.outputTokens],
    ];
    for (const [type, count] of tokens) {
      if (count === undefined) continue;
      this.#metrics.tokenUsage.record(count, { ...base, [ATTR.tokenType]: type });
    }
    const counted: [string, number | undefined][] = [
      ...tokens,
      ['cache_read', usage.cacheReadTokens],
      ['cache_write', usage.cacheWriteTokens],
    ];
    const totals = { ...base };
    delete totals[ATTR.operationName];
    for (const [type, count] of counted) {
      if (count) this.#metrics.providerTokens.add(count, { ...totals, [ATTR.tokenType]: type });
    }
    if (usage.costUsd) this.#metrics.providerCost.add(usage.costUsd, totals);
  }

  #startTool(run: RunState, event: Extract<StreamEvent, { type: 'tool_execution_start' }>): void {
    const span = this.#tracer.startSpan(
      `${OPERATION.tool} ${event.name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [ATTR.operationName]: OPERATION.tool,
          [ATTR.toolName]: event.name,
          [ATTR.toolCallId]: event.id,
          [ATTR.toolType]: 'function',
        },
      },
      run.context,
    );
    if (this.#capture) {
      span.addEvent('gen_ai.tool.call', {
        'gen_ai.tool.call.arguments': this.#content(JSON.stringify(event.arguments)),
      });
    }
    const tool: ToolState = { span, name: event.name, startedAt: this.#now() };
    const { agent, task } = event.arguments;
    if (typeof agent === 'string' && typeof task === 'string') tool.delegate = { agent, task };
    run.tools.set(event.id, tool);
  }

  #endTool(run: RunState, event: Extract<StreamEvent, { type: 'tool_execution_end' }>): void {
    const tool = run.tools.get(event.id);
    if (!tool) return;
    if (this.#capture) {
      tool.span.addEvent('gen_ai.tool.result', { 'gen_ai.tool.call.result': this.#content(event.content) });
    }
    this.#closeTool(run, event.id, tool, event.isError ? 'tool_error' : undefined, event.durationMs / 1000);
  }

  #closeTool(run: RunState, id: string, tool: ToolState, errorType?: string, seconds?: number): void {
    run.tools.delete(id);
    if (errorType !== undefined) {
      tool.span.setAttribute(ATTR.errorType, errorType);
      tool.span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    }
    tool.span.end();
    const attributes = { [ATTR.toolName]: tool.name, [ATTR.toolStatus]: errorType ? 'error' : 'ok' };
    this.#metrics.toolExecutions.add(1, attributes);
    this.#metrics.toolDuration.record(seconds ?? this.#seconds(tool.startedAt), attributes);
  }

  #seconds(since: number): number {
    return Math.max(0, (this.#now() - since) / 1000);
  }

  #content(text: string): string {
    const cut = text.length > MAX_CONTENT_CHARS ? `${text.slice(0, MAX_CONTENT_CHARS)}…` : text;
    return this.#scrub(cut);
  }
}
