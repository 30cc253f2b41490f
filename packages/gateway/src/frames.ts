/**
 * The runtime's events as protocol frames, for one turn: text deltas become assistant_delta;
 * turn_start, tool runs (a failed one with its reason) and retries become turn_progress;
 * run_completed becomes turn_completed (the final text, every tool call the turn made, the last
 * finish reason, usage with cost); a cancelled run becomes turn_cancelled and a failed one an
 * error frame with the run's code. Other events (reasoning, raw tool-call deltas, non-fatal
 * errors) are not sent.
 */
import { describeCall, outputLine, type StreamEvent, toolFailureLine, type Usage } from '@oxydra/types';
import type { ServerFrame, ServerPayload, TURN_STATES } from '@oxydra/types/gateway';

export type TurnState = (typeof TURN_STATES)[number];
type SessionRef = ServerPayload<'turn_started'>['session'];
type TurnRef = ServerPayload<'turn_started'>['turn'];
type WireUsage = ServerPayload<'turn_completed'>['response']['usage'];

export interface TurnContext {
  requestId: string;
  session: SessionRef;
  turn: TurnRef;
}

/** Runtime progress kinds forwarded as turn_progress (turn_start and tool events cover the rest). */
const FORWARDED_PROGRESS = new Set(['tool_heartbeat', 'tool_report', 'rolling_summary', 'retry']);

export class TurnFrames {
  #turn = 0;
  #maxTurns = 1;
  #finishReason = 'stop';
  readonly #toolCalls: Array<{ id: string; name: string; arguments: unknown }> = [];
  /** How the turn ended, once a final event was seen. */
  outcome: Exclude<TurnState, 'running'> | undefined;

  constructor(readonly context: TurnContext) {}

  /** The frame for `event`, or undefined when clients are not told about it. */
  map(event: StreamEvent): ServerFrame | undefined {
    const { requestId: request_id, session, turn } = this.context;
    switch (event.type) {
      case 'text_delta':
        return event.text === ''
          ? undefined
          : { type: 'assistant_delta', payload: { request_id, session, turn, delta: event.text } };
      case 'turn_start':
        this.#turn = event.turn;
        this.#maxTurns = event.maxTurns;
        return this.progress('model_turn', `[${event.turn}/${event.maxTurns}] thinking`);
      case 'tool_execution_start':
        this.#toolCalls.push({ id: event.id, name: event.name, arguments: event.arguments });
        return this.progress('tool_started', `running ${describeCall(event.name, event.arguments)}`);
      case 'tool_execution_end':
        // A failure says why (the first line of what the model was told), so a client can show it.
        return event.isError
          ? this.progress('tool_failed', `${event.name} failed: ${toolFailureLine(event.content)}`)
          : this.progress(
              'tool_finished',
              `${event.name} finished in ${Math.round(event.durationMs)} ms: ${outputLine(event.content)}`,
            );
      case 'progress':
        return FORWARDED_PROGRESS.has(event.progress.kind)
          ? this.progress(event.progress.kind, event.progress.message)
          : undefined;
      case 'finish':
        this.#finishReason = event.reason;
        return undefined;
      case 'run_completed':
        this.outcome = 'completed';
        return {
          type: 'turn_completed',
          payload: {
            request_id,
            session,
            turn,
            response: {
              message: event.text,
              tool_calls: this.#toolCalls,
              finish_reason: this.#finishReason,
              usage: wireUsage(event.usage, event.costUsd),
            },
          },
        };
      case 'run_failed':
        if (event.error?.code === 'cancelled') {
          this.outcome = 'cancelled';
          return { type: 'turn_cancelled', payload: { request_id, session, turn } };
        }
        this.outcome = 'failed';
        return this.failure(event.error?.code ?? 'internal_error', event.error?.message ?? 'the turn failed');
      default:
        return undefined;
    }
  }

  /** The error frame that ends a failed turn. */
  failure(code: string, message: string): ServerFrame {
    this.outcome = 'failed';
    const { requestId: request_id, session, turn } = this.context;
    return { type: 'error', payload: { request_id, session, turn, code, message } };
  }

  cancelled(): ServerFrame {
    this.outcome = 'cancelled';
    const { requestId: request_id, session, turn } = this.context;
    return { type: 'turn_cancelled', payload: { request_id, session, turn } };
  }

  /** A turn_progress frame at the turn's current position. */
  progress(kind: string, message: string): ServerFrame {
    const { requestId: request_id, session, turn } = this.context;
    return {
      type: 'turn_progress',
      payload: {
        request_id,
        session,
        turn,
        progress: { kind, message, turn: this.#turn, max_turns: Math.max(1, this.#maxTurns) },
      },
    };
  }
}

/** Usage as the protocol spells it; cost from the run's total when known. */
function wireUsage(usage: Usage, costUsd: number | null | undefined): WireUsage {
  const wire: WireUsage = { input_tokens: usage.inputTokens ?? 0, output_tokens: usage.outputTokens ?? 0 };
  if (usage.cacheReadTokens !== undefined) wire.cache_read_tokens = usage.cacheReadTokens;
  if (usage.cacheWriteTokens !== undefined) wire.cache_write_tokens = usage.cacheWriteTokens;
  if (usage.reasoningTokens !== undefined) wire.reasoning_tokens = usage.reasoningTokens;
  const cost = costUsd ?? usage.costUsd;
  if (cost !== undefined && cost !== null) wire.cost_usd = cost;
  return wire;
}

/** An error frame not tied to a turn (bad frame, limits, unknown session...). */
export function errorFrame(
  code: string,
  message: string,
  extra: { requestId?: string | undefined; session?: SessionRef } = {},
): ServerFrame {
  return {
    type: 'error',
    payload: {
      ...(extra.requestId !== undefined ? { request_id: extra.requestId } : {}),
      ...(extra.session ? { session: extra.session } : {}),
      code,
      message,
    },
  };
}
