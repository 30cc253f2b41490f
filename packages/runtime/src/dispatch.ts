/**
 * Tool dispatch for one model answer. Consecutive read_only calls run together; a side_effecting
 * or privileged call (or one to a tool nobody declared) waits for what came before and runs
 * alone, so "write then read" keeps its order. Results come back in call order whatever order
 * the calls finished in. Each call gets its own deadline through ToolContext.signal.
 */
import type {
  StreamEvent,
  ToolCall,
  ToolContext,
  ToolExecutor,
  ToolInvocation,
  ToolOutcome,
} from '@oxydra/types';
import { deadlineController, raceAbort } from './abortable.js';
import { type Clock, formatDuration } from './clock.js';
import { RunError } from './errors.js';
import { startHeartbeat } from './heartbeat.js';
import { type TurnPosition, toolExecutionProgress, toolReport } from './progress.js';
import { boundToolData } from './tool-data.js';

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

export async function dispatchToolCalls(
  calls: readonly ToolCall[],
  options: DispatchOptions,
): Promise<ToolOutcome[]> {
  options.emit(
    toolExecutionProgress(
      options.position,
      calls.map((call) => call.name),
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
    for (const group of planGroups(calls, options.tools)) {
      await Promise.all(
        group.map(async (index) => {
          const call = calls[index]!;
          running.set(call.id, call.name);
          try {
            options.outcomes[index] = await runCall(call, options);
          } finally {
            running.delete(call.id);
          }
        }),
      );
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
    outcome = await raceAbort(options.tools.execute(invocation, context), deadline.signal);
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
