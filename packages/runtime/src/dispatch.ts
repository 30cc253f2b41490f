/**
 * Tool dispatch for one model answer. Consecutive read_only calls run together (at most
 * MAX_PARALLEL_CALLS at once, and at most MAX_CALLS_PER_ANSWER calls of an answer run); a side_effecting
 * or privileged call (or one to a tool nobody declared) waits for what came before and runs
 * alone, so "write then read" keeps its order. Results come back in call order whatever order
 * the calls finished in. Each call gets its own deadline through ToolContext.signal.
 *
 * Below the dispatch: what it reports while the calls run (the heartbeat, the progress lines) and
 * what becomes of their results (`data` bounded for hosts, images as a message for the model).
 */
import type { ModelInfo } from '@oxydra/provider/core';
import type {
  AssistantMessage,
  ContentPart,
  Message,
  ProgressEvent,
  StreamEvent,
  ToolCall,
  ToolContext,
  ToolExecutor,
  ToolInvocation,
  ToolOutcome,
} from '@oxydra/types';
import { type Clock, deadlineController, formatDuration } from './deadline.js';
import { RunError } from './errors.js';

export interface DispatchOptions {
  tools: ToolExecutor;
  /** The run's signal: cancel and wall time. */
  signal: AbortSignal;
  /** Deadline for a call whose tool declares no timeoutMs of its own. */
  turnTimeoutMs: number;
  heartbeatMs: number;
  clock: Clock;
  position: TurnPosition;
  emit: (event: StreamEvent) => void;
  /** The ToolContext for one call, around the call's own signal. */
  context: (signal: AbortSignal, onProgress: (message: string) => void) => ToolContext;
  /** Argument-parse errors by call id, handed to the executor. */
  parseErrors: ReadonlyMap<string, string>;
  /**
   * Filled by call index as each call finishes, so when the run is cancelled mid-batch the caller
   * still knows which calls completed.
   */
  outcomes: (ToolOutcome | undefined)[];
  /** How many calls the model's answer held, when keepCalls dropped some of them (default: `calls.length`). */
  answered?: number;
}

/** Groups of calls run together: consecutive read_only calls share a group, any other call is alone. */
export function planGroups(calls: readonly ToolCall[], tools: ToolExecutor): number[][] {
  const groups: number[][] = [];
  let readOnly: number[] | undefined;
  calls.forEach((call, index) => {
    if (tools.spec(call.name)?.safety === 'read_only') {
      if (!readOnly) {
        readOnly = [];
        groups.push(readOnly);
      }
      readOnly.push(index);
    } else {
      readOnly = undefined;
      groups.push([index]);
    }
  });
  return groups;
}

/**
 * At most this many calls of one answer run; each call past it gets an error result saying so,
 * unrun. A model steered by a page it read once answered with 3,000 calls (a 64 MiB answer holds
 * 400,000), every one run and its result kept; no model asks for a tenth of this in one answer.
 */
export const MAX_CALLS_PER_ANSWER = 128;
/**
 * At most this many read_only calls of a group run at once. Before, a group ran whole at once:
 * 3,000 `file_search` calls were 3,000 `rg` processes on the host at the same time.
 */
export const MAX_PARALLEL_CALLS = 8;

/**
 * Runs `work` on every item, at most `limit` at a time; a failure fails the whole (as
 * Promise.all) and no item starts after it. Also the checkpoint store's, for files it hashes or
 * writes (each may hold files open meanwhile).
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failed = true; // no new item starts once one failed: the whole is ending
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * At most this many calls of one answer are kept in the conversation: the MAX_CALLS_PER_ANSWER
 * that run, and a few past them that get the "not run" result. Before, every call of the answer
 * was kept with a result each: an answer of 400,000 calls stored 400,000 calls and 400,000
 * results in the session (tens of MB) and sent them all again in the next request. The calls past
 * this are taken out of the stored assistant message (every provider's API pairs each call it is
 * sent with its result, so a call kept must have one and a call dropped must not be sent), and the
 * last kept call's result says how many were dropped.
 */
export const MAX_CALLS_KEPT = MAX_CALLS_PER_ANSWER + 8;

/**
 * Takes the calls past MAX_CALLS_KEPT out of `assistant` (the message stored and sent again) and
 * returns the calls kept; none dropped: `calls` itself.
 */
export function keepCalls(assistant: AssistantMessage, calls: ToolCall[]): ToolCall[] {
  if (calls.length <= MAX_CALLS_KEPT) return calls;
  const kept = calls.slice(0, MAX_CALLS_KEPT);
  assistant.toolCalls = kept;
  return kept;
}

/**
 * The result of a call past MAX_CALLS_PER_ANSWER, which is not run. `answered`: how many calls the
 * answer held (more than `kept` when keepCalls dropped some; the last kept call says so).
 */
function notRun(index: number, kept: number, answered: number): ToolOutcome {
  const dropped =
    answered > kept && index === kept - 1
      ? `; calls ${kept + 1} to ${answered} were not run either and were dropped from the conversation`
      : '';
  return {
    content:
      `not run: one answer may make at most ${MAX_CALLS_PER_ANSWER} tool calls, and this was call ` +
      `${index + 1} of ${answered}${dropped}; make the calls you still need in your next answer`,
    isError: true,
    durationMs: 0,
  };
}

export async function dispatchToolCalls(
  calls: readonly ToolCall[],
  options: DispatchOptions,
): Promise<ToolOutcome[]> {
  const answered = Math.max(options.answered ?? calls.length, calls.length);
  for (let index = MAX_CALLS_PER_ANSWER; index < calls.length; index += 1) {
    options.outcomes[index] = notRun(index, calls.length, answered);
  }
  const runnable = calls.length > MAX_CALLS_PER_ANSWER ? calls.slice(0, MAX_CALLS_PER_ANSWER) : calls;
  options.emit(
    toolExecutionProgress(
      options.position,
      runnable.map((call) => call.name),
    ),
  );
  const running = new Map<string, string>();
  const stopHeartbeat = startHeartbeat({
    clock: options.clock,
    intervalMs: options.heartbeatMs,
    position: options.position,
    running: () => [...running.values()],
    emit: options.emit,
  });
  try {
    for (const group of planGroups(runnable, options.tools)) {
      await forEachLimited(group, MAX_PARALLEL_CALLS, async (index) => {
        const call = runnable[index]!;
        running.set(call.id, call.name);
        try {
          options.outcomes[index] = await runCall(call, options);
        } finally {
          running.delete(call.id);
        }
      });
    }
  } finally {
    stopHeartbeat();
  }
  return options.outcomes.map((outcome) => outcome!);
}

async function runCall(call: ToolCall, options: DispatchOptions): Promise<ToolOutcome> {
  const { clock, emit } = options;
  const timeoutMs = options.tools.spec(call.name)?.timeoutMs ?? options.turnTimeoutMs;
  const invocation: ToolInvocation = { id: call.id, name: call.name, arguments: call.arguments };
  const parseError = options.parseErrors.get(call.id);
  if (parseError !== undefined) invocation.parseError = parseError;

  emit({ type: 'tool_execution_start', id: call.id, name: call.name, arguments: call.arguments });
  const startedAt = clock.now();
  const deadline = deadlineController(
    options.signal,
    timeoutMs,
    clock,
    () =>
      new RunError('tool_error', `tool ${call.name} timed out after ${formatDuration(timeoutMs)}`, 'timeout'),
  );
  const onProgress = (message: string) => emit(toolReport(options.position, call.name, message));
  let outcome: ToolOutcome;
  try {
    const base = options.context(deadline.signal, onProgress);
    const approve = base.approve;
    // Waiting on a person is not the tool's time: the deadline stops while the question is open.
    const context = approve
      ? {
          ...base,
          approve: async (request: Parameters<typeof approve>[0]) => {
            deadline.pause();
            try {
              return await approve(request);
            } finally {
              deadline.resume();
            }
          },
        }
      : base;
    outcome = await deadline.race(options.tools.execute(invocation, context));
  } catch (error) {
    const durationMs = Math.max(0, clock.now() - startedAt - deadline.pausedMs());
    if (options.signal.aborted) {
      // The run is ending: close this call's start event for clients, then let the run stop.
      const reason = options.signal.reason instanceof Error ? options.signal.reason.message : 'cancelled';
      emit(endEvent(call, { content: `stopped: ${reason}`, isError: true, durationMs }));
      throw error;
    }
    // A timeout or the tool's own crash goes back to the model as a failed result to correct.
    outcome = deadline.timedOut()
      ? {
          content: `tool ${call.name} timed out after ${formatDuration(timeoutMs)} and was stopped`,
          isError: true,
          durationMs,
        }
      : {
          content: `tool ${call.name} failed: ${error instanceof Error ? error.message : String(error)}`,
          isError: true,
          durationMs,
        };
  } finally {
    deadline.dispose();
  }
  emit(endEvent(call, outcome));
  return outcome;
}

function endEvent(call: ToolCall, outcome: ToolOutcome): StreamEvent {
  return {
    type: 'tool_execution_end',
    id: call.id,
    name: call.name,
    isError: outcome.isError,
    content: outcome.content,
    durationMs: outcome.durationMs,
    ...boundToolData(outcome.data),
  };
}

/**
 * Heartbeat progress while tools run (every 5 s by default), so a client can tell a long shell
 * command from a hung run. Built on one-shot timers so an injected clock can drive it.
 */
interface HeartbeatOptions {
  clock: Clock;
  intervalMs: number;
  position: TurnPosition;
  /** Names of the tools running right now. */
  running: () => string[];
  emit: (event: StreamEvent) => void;
}

/** Starts beating; the returned function stops it. */
function startHeartbeat(options: HeartbeatOptions): () => void {
  const { clock, intervalMs } = options;
  const startedAt = clock.now();
  let stopped = false;
  let timer: unknown;
  const schedule = () => {
    timer = clock.setTimeout(beat, intervalMs);
  };
  const beat = () => {
    if (stopped) return;
    const names = options.running();
    if (names.length > 0) options.emit(toolHeartbeat(options.position, names, clock.now() - startedAt));
    schedule();
  };
  if (intervalMs > 0) schedule();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}

/** The runtime's progress lines: "[2/8] Calling gpt-4o-mini", "[2/8] Executing tools: file_read". */
export interface TurnPosition {
  turn: number;
  maxTurns: number;
}

function label({ turn, maxTurns }: TurnPosition): string {
  return `[${turn}/${maxTurns}]`;
}

function progress(event: ProgressEvent): StreamEvent {
  return { type: 'progress', progress: event };
}

/** Names once each, in call order: "file_read, file_list" rather than "file_read, file_read, file_list". */
function uniqueNames(names: readonly string[]): string[] {
  return [...new Set(names)];
}

export function providerCallProgress(position: TurnPosition, model: string): StreamEvent {
  return progress({ kind: 'provider_call', message: `${label(position)} Calling ${model}`, ...position });
}

function toolExecutionProgress(position: TurnPosition, toolNames: readonly string[]): StreamEvent {
  const names = uniqueNames(toolNames);
  return progress({
    kind: 'tool_execution',
    message: `${label(position)} Executing tools: ${names.join(', ')}`,
    toolNames: names,
    ...position,
  });
}

function toolHeartbeat(position: TurnPosition, toolNames: readonly string[], elapsedMs: number): StreamEvent {
  const names = uniqueNames(toolNames);
  return progress({
    kind: 'tool_heartbeat',
    message: `${label(position)} Still running ${names.join(', ')} (${formatDuration(elapsedMs)})`,
    toolNames: names,
    elapsedMs,
    ...position,
  });
}

/** A tool's own progress report (ToolContext.onProgress). */
function toolReport(position: TurnPosition, toolName: string, message: string): StreamEvent {
  return progress({
    kind: 'tool_report',
    message: `${label(position)} ${toolName}: ${message}`,
    toolNames: [toolName],
    ...position,
  });
}

/** "[3/8] Summarised 12 earlier messages (summary model)": what the rolling summary did. */
export function rollingSummaryProgress(position: TurnPosition, text: string): StreamEvent {
  return progress({ kind: 'rolling_summary', message: `${label(position)} ${text}`, ...position });
}

/**
 * A tool result's `data` as `tool_execution_end` carries it to hosts (`oxydra run --json`, the
 * kernel's bus, the gateway). The tool registry has already scrubbed it with the same secret
 * scrubber as the text; here it is bounded as the text is: a JSON value of at most
 * TOOL_DATA_MAX_BYTES, copied through JSON so no class instance, Buffer or cycle goes out. A value
 * over the bound (or not JSON) is left out and `dataOmittedBytes` says so (-1: not JSON).
 */
export const TOOL_DATA_MAX_BYTES = 16 * 1024;

export function boundToolData(data: unknown): { data?: unknown; dataOmittedBytes?: number } {
  if (data === undefined) return {};
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch {
    return { dataOmittedBytes: -1 };
  }
  if (json === undefined) return { dataOmittedBytes: -1 };
  const bytes = Buffer.byteLength(json);
  if (bytes > TOOL_DATA_MAX_BYTES) return { dataOmittedBytes: bytes };
  return { data: JSON.parse(json) as unknown };
}

/**
 * Images a tool returned (a browser screenshot) reach the model as one user message after the
 * batch's tool results: no wire API takes images inside every kind of tool result (OpenAI's
 * Chat Completions takes text only there), and tool results must directly follow the call.
 * A model the catalog says reads no images gets a note in the tool's result instead.
 */
/** Models the catalog does not know are assumed to read images; their adapter says if not. */
const readsImages = (model: ModelInfo): boolean =>
  !model.known || (model.supportsAttachments && model.capabilities.inputModalities.includes('image'));

export function toolImages(
  calls: readonly ToolCall[],
  outcomes: readonly (ToolOutcome | undefined)[],
  model: ModelInfo,
  results: Message[],
): Message | undefined {
  const parts: ContentPart[] = [];
  calls.forEach((call, index) => {
    const images = outcomes[index]?.images;
    if (!images || images.length === 0) return;
    const result = results[index];
    if (!readsImages(model)) {
      if (result?.role === 'tool')
        result.content += `\n[${images.length} image(s) not shown: ${model.id} reads no images]`;
      return;
    }
    parts.push({
      type: 'text',
      text: `Image(s) from ${call.name} (call ${call.id}); page content, untrusted:`,
    });
    for (const image of images)
      parts.push({ type: 'attachment', mimeType: image.mimeType, data: image.data });
  });
  return parts.length > 0 ? { role: 'user', content: parts } : undefined;
}
