/**
 * Test doubles for the agent loop: a Provider that plays a script (one step per model call), a
 * ToolExecutor over inline tools, a hand-driven clock, and collectors that check the run's events
 * against its result.
 */
import type { ModelInfo } from '@oxydra/provider';
import {
  replyEvents as testkitReplyEvents,
  scriptedProvider as testkitScriptedProvider,
} from '@oxydra/testkit';
import type {
  Context,
  Message,
  ModelEvent,
  Provider,
  SafetyTier,
  StreamEvent,
  StreamOptions,
  ToolContext,
  ToolExecutor,
  ToolInvocation,
  ToolOutcome,
  ToolSpec,
  Usage,
} from '@oxydra/types';
import { expect } from 'vitest';
import type { Clock } from '../src/deadline.js';
import { type AgentRun, type AgentRunOptions, type RunResult, startAgentRun } from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// Scripted provider

export interface ScriptedCall {
  name: string;
  arguments?: Record<string, unknown>;
  id?: string;
  /** Raw argument text instead of JSON.stringify(arguments); with parseError, invalid JSON. */
  raw?: string;
  parseError?: string;
}

export interface ScriptedReply {
  text?: string;
  toolCalls?: ScriptedCall[];
  usage?: Usage;
}

/** A step is a reply, or a function producing the stream itself (to hang, wait or fail). */
export type ScriptStep =
  | ScriptedReply
  | ((context: Context, options: StreamOptions | undefined) => AsyncIterable<ModelEvent>);

/**
 * The events a provider adapter would yield for a reply: the testkit's, with this suite's
 * defaults (usage 10/5 on every reply, call ids `call_<index>_<name>`).
 */
export function replyEvents(reply: ScriptedReply): ModelEvent[] {
  return testkitReplyEvents({
    ...(reply.text !== undefined ? { text: reply.text } : {}),
    toolCalls: (reply.toolCalls ?? []).map((call, index) => ({
      ...call,
      id: call.id ?? `call_${index}_${call.name}`,
      arguments: call.arguments ?? {},
    })),
    usage: reply.usage ?? { inputTokens: 10, outputTokens: 5 },
  });
}

export interface ScriptedProvider extends Provider {
  /** The context of every call, in order (a copy taken at the call). */
  readonly contexts: Context[];
  readonly signals: AbortSignal[];
}

/** The testkit's scripted provider playing one step per call; a call past the script fails. */
export function scriptedProvider(steps: ScriptStep[], name = 'scripted'): ScriptedProvider {
  const contexts: Context[] = [];
  const signals: AbortSignal[] = [];
  const provider = testkitScriptedProvider(
    ({ context, index, options }) => {
      const step = steps[index];
      contexts.push(structuredClone(context));
      if (options?.signal) signals.push(options.signal);
      if (step === undefined) throw new Error(`the script has no step for call ${contexts.length}`);
      return typeof step === 'function' ? step(context, options) : replyEvents(step);
    },
    { name },
  );
  return Object.assign(provider, { contexts, signals });
}

/** A step that answers every call the same way (for "the model keeps asking" tests). */
export function repeatSteps(step: ScriptStep, count: number): ScriptStep[] {
  return Array.from({ length: count }, () => step);
}

// ---------------------------------------------------------------------------------------------
// Inline tools

export interface FakeTool {
  safety?: SafetyTier;
  timeoutMs?: number;
  run(args: Record<string, unknown>, context: ToolContext): Promise<string> | string;
}

export interface FakeExecutor extends ToolExecutor {
  /** Every invocation, in the order execute() was called. */
  readonly invocations: ToolInvocation[];
}

/** A ToolExecutor like the registry's: parse errors and thrown errors come back as error results. */
export function fakeTools(tools: Record<string, FakeTool>): FakeExecutor {
  const invocations: ToolInvocation[] = [];
  const specs: ToolSpec[] = Object.entries(tools).map(([name, tool]) => ({
    name,
    description: `the ${name} tool`,
    parameters: { type: 'object', properties: {} },
    safety: tool.safety ?? 'read_only',
    ...(tool.timeoutMs !== undefined ? { timeoutMs: tool.timeoutMs } : {}),
  }));
  return {
    invocations,
    specs: () => specs,
    spec: (name) => specs.find((spec) => spec.name === name),
    async execute(call, context): Promise<ToolOutcome> {
      invocations.push(call);
      if (call.parseError !== undefined) {
        return {
          content: `invalid arguments for ${call.name}: ${call.parseError}`,
          isError: true,
          durationMs: 0,
        };
      }
      const tool = tools[call.name];
      if (!tool) return { content: `unknown tool "${call.name}"`, isError: true, durationMs: 0 };
      try {
        return { content: await tool.run(call.arguments, context), isError: false, durationMs: 1 };
      } catch (error) {
        return { content: (error as Error).message, isError: true, durationMs: 1 };
      }
    },
  };
}

export const NO_TOOLS: FakeExecutor = fakeTools({});

// ---------------------------------------------------------------------------------------------
// Time and synchronisation

/** A clock that only moves when a test advances it. */
export class FakeClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const target = this.time + ms;
    while (true) {
      const due = [...this.timers.entries()]
        .filter(([, timer]) => timer.at <= target)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      const [id, timer] = due;
      this.timers.delete(id);
      this.time = timer.at;
      timer.callback();
    }
    this.time = target;
  }
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A stream that yields `before` and then waits forever, deaf to its abort signal. */
export function hangingStream(before: ModelEvent[] = [], started?: Deferred): ScriptStep {
  return () =>
    (async function* () {
      started?.resolve();
      yield* before;
      await new Promise(() => {});
    })();
}

// ---------------------------------------------------------------------------------------------
// Models and runs

export function testModel(
  overrides: Partial<ModelInfo['capabilities']> & { prices?: ModelInfo['prices'] } = {},
): ModelInfo {
  const { prices, ...capabilities } = overrides;
  return {
    id: 'test-model',
    name: 'Test model',
    namespace: 'openai',
    known: true,
    capabilities: {
      contextWindow: 128_000,
      maxOutputTokens: 4096,
      supportsTools: true,
      supportsReasoning: false,
      inputModalities: ['text'],
      ...capabilities,
    },
    supportsAttachments: false,
    ...(prices ? { prices } : {}),
  };
}

export function runOptions(
  provider: Provider,
  overrides: Partial<Omit<AgentRunOptions, 'budgets'>> & {
    budgets?: Partial<AgentRunOptions['budgets']>;
  } = {},
): AgentRunOptions {
  const { budgets, ...rest } = overrides;
  return {
    provider,
    model: testModel(),
    tools: NO_TOOLS,
    workspace: '/work/space',
    systemPrompt: 'You are a test agent.',
    prompt: 'hello',
    ...rest,
    budgets: { maxTurns: 8, turnTimeoutMs: 60_000, ...budgets },
  };
}

export interface Finished {
  events: StreamEvent[];
  result: RunResult;
}

/** Collects every event and the result, and checks they agree (one run_* event, last, same numbers). */
export async function finish(run: AgentRun): Promise<Finished> {
  const events: StreamEvent[] = [];
  for await (const event of run.events) events.push(event);
  const result = await run.result;
  expectConsistent(events, result);
  return { events, result };
}

export function start(options: AgentRunOptions): Promise<Finished> {
  return finish(startAgentRun(options));
}

export function expectConsistent(events: StreamEvent[], result: RunResult): void {
  const ends = events.filter((e) => e.type === 'run_completed' || e.type === 'run_failed');
  expect(ends).toHaveLength(1);
  const end = events.at(-1);
  expect(end).toBe(ends[0]);
  expect(end).toEqual({
    type: result.status === 'completed' ? 'run_completed' : 'run_failed',
    text: result.text,
    usage: result.usage,
    costUsd: result.costUsd,
    turns: result.turns,
    ...(result.error ? { error: result.error } : {}),
  });
  expect(events.filter((e) => e.type === 'turn_start')).toHaveLength(result.turns);
}

/** Every tool result follows the assistant message that asked for it, and every call has its result. */
export function expectPairsIntact(messages: Message[]): void {
  const open = new Set<string>();
  for (const message of messages) {
    if (message.role === 'assistant') {
      expect(open.size).toBe(0);
      for (const call of message.toolCalls ?? []) open.add(call.id);
    } else if (message.role === 'tool') {
      expect(open.has(message.toolCallId)).toBe(true);
      open.delete(message.toolCallId);
    } else {
      expect(open.size).toBe(0);
    }
  }
  expect(open.size).toBe(0);
}

export function ofType<T extends StreamEvent['type']>(
  events: StreamEvent[],
  type: T,
): Extract<StreamEvent, { type: T }>[] {
  return events.filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);
}

/** Resolves once an event matching `predicate` has been emitted (the run keeps going). */
export async function waitForEvent(
  run: AgentRun,
  predicate: (event: StreamEvent) => boolean,
): Promise<StreamEvent> {
  for await (const event of run.events) if (predicate(event)) return event;
  throw new Error('the run ended before the awaited event');
}

/**
 * Lets every queued promise callback run, so a test can check that the run is still held at a
 * barrier (nothing moves however long it is given), not how much time passed.
 */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------------------------
// Hooks

/** A persist hook that records every unit it is given (copies of the arrays, same messages). */
export function recordingPersist(): { persist: (messages: Message[]) => Promise<void>; units: Message[][] } {
  const units: Message[][] = [];
  return {
    units,
    persist: async (messages) => {
      units.push([...messages]);
    },
  };
}
