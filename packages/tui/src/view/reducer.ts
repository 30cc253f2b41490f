/**
 * The view's state machine: gateway events and the user's own actions in, the next ViewState
 * out. Pure, so every rule here is tested without a terminal. Frames about another session than
 * the current one (a turn still finishing after /switch) change only that session's usage.
 */

import type { ClientEvent, HelloAck, SessionRef } from '@oxydra/gateway-client';
import { shortSessionId, visibleControls } from '@oxydra/types';
import type { ServerFrame, ServerPayload } from '@oxydra/types/gateway';
import { commitPoint, NEW_OPEN_PART } from '../markdown/blocks.js';
import { EMPTY_USAGE, type Entry, type EntryKind, type LiveTurn, type ViewState } from './state.js';

export type ViewAction =
  | ClientEvent
  /** The user sent a prompt as send_turn `requestId` for turn `turnId`. */
  | { kind: 'prompt'; text: string; requestId: string; turnId: string }
  /** The user asked to cancel the running turn. */
  | { kind: 'cancel_requested'; turnId: string }
  /** A line of information for the user (command output, hints). */
  | { kind: 'note'; text: string }
  /** A problem to show in red. */
  | { kind: 'failure'; text: string };

/** How many ended turns to remember for a terminal frame replayed after a reconnect. */
const ENDED_TURNS_KEPT = 8;

export function reduceView(state: ViewState, action: ViewAction): ViewState {
  switch (action.kind) {
    case 'frame':
      return onFrame(state, action.frame);
    case 'hello':
      return onHello(state, action.ack, action.resumed);
    case 'connection': {
      const lost = state.connection.state === 'connected' && action.connection.state === 'reconnecting';
      let next: ViewState = { ...state, connection: action.connection };
      if (lost && action.connection.state === 'reconnecting') {
        if (next.turn) next = { ...next, turn: { ...next.turn, gap: true } };
        next = append(next, 'system', `connection lost: ${action.connection.reason}; reconnecting...`);
      }
      return next;
    }
    case 'malformed':
      return append(state, 'error', `ignored a malformed frame from the gateway: ${action.problem}`);
    case 'prompt':
      return {
        ...append(state, 'user', action.text),
        awaiting: { requestId: action.requestId, turnId: action.turnId },
      };
    case 'cancel_requested':
      return { ...state, cancelRequestedFor: action.turnId };
    case 'note':
      return append(state, 'system', action.text);
    case 'failure':
      return append(state, 'error', action.text);
  }
}

function onHello(state: ViewState, ack: HelloAck, resumed: boolean): ViewState {
  // Questions asked on a connection that dropped were refused when it did: none is pending now.
  let next: ViewState = { ...state, session: ack.session, approvals: [] };
  if (resumed)
    next = append(next, 'system', `reconnected; session ${shortSessionId(ack.session.session_id)} resumed`);
  const running = ack.active_turn?.state === 'running' ? ack.active_turn.turn_id : undefined;
  if (next.awaiting && next.awaiting.turnId !== running) {
    next = append(
      { ...next, awaiting: undefined },
      'error',
      'the connection dropped before the gateway confirmed your last prompt; send it again if no reply comes',
    );
  }
  if (running) {
    if (!resumed) next = append(next, 'system', 'a turn is running in this session; its reply streams below');
    next = withTurn(next, running, resumed);
    return { ...next, awaiting: undefined };
  }
  if (next.turn) next = append(endTurn(next), 'system', 'the turn ended while the connection was down');
  return next;
}

function onFrame(state: ViewState, frame: ServerFrame): ViewState {
  switch (frame.type) {
    case 'turn_started': {
      if (!inCurrentSession(state, frame.payload.session)) return state;
      const next = withTurn(state, frame.payload.turn.turn_id, false);
      return state.awaiting?.requestId === frame.payload.request_id ||
        state.awaiting?.turnId === frame.payload.turn.turn_id
        ? { ...next, awaiting: undefined }
        : next;
    }
    case 'assistant_delta': {
      if (!inCurrentSession(state, frame.payload.session)) return state;
      const next = withTurn(state, frame.payload.turn.turn_id, false);
      const turn = next.turn!;
      const { delta } = frame.payload;
      const grown = {
        ...next,
        turn: { ...turn, partial: turn.partial + delta, streamed: turn.streamed + delta },
      };
      // A block can only finish when a line does.
      return delta.includes('\n') ? commitBlocks(grown) : grown;
    }
    case 'turn_progress': {
      if (!inCurrentSession(state, frame.payload.session)) return state;
      const { progress } = frame.payload;
      // The gateway numbers some messages itself ("[2/8] thinking"); others get the numbers here.
      const line = /^\[\d+\/\d+\]/.test(progress.message)
        ? progress.message
        : `[${progress.turn}/${progress.max_turns}] ${progress.message}`;
      const live = withTurn(state, frame.payload.turn.turn_id, false);
      // A new model call is shown above the prompt only; tool activity also goes into history.
      if (progress.kind === 'model_turn') return { ...live, turn: { ...live.turn!, progress: line } };
      const next = flushPartial(live);
      const kind = progress.kind === 'tool_failed' ? 'tool_failed' : 'tool';
      return append({ ...next, turn: { ...next.turn!, progress: line } }, kind, line);
    }
    case 'turn_completed':
      return onTurnCompleted(addUsage(state, frame.payload), frame.payload);
    case 'turn_cancelled': {
      if (!inCurrentSession(state, frame.payload.session)) return state;
      const turnId = frame.payload.turn.turn_id;
      if (state.turn?.turnId === turnId) return append(endTurn(state), 'system', 'turn cancelled');
      if (state.awaiting?.turnId === turnId)
        return append(
          { ...state, awaiting: undefined, cancelRequestedFor: undefined },
          'system',
          'turn cancelled',
        );
      return state;
    }
    case 'error': {
      const { payload } = frame;
      if (payload.session && !inCurrentSession(state, payload.session)) return state;
      let next = state;
      if (payload.turn && next.turn?.turnId === payload.turn.turn_id) next = endTurn(next);
      // A cancel found nothing running: the turn ended and its last frame never reached us.
      if (payload.code === 'no_active_turn' && next.turn) next = endTurn(next);
      if (next.awaiting && payload.request_id === next.awaiting.requestId)
        next = { ...next, awaiting: undefined };
      return append(next, 'error', payload.code ? `${payload.message} (${payload.code})` : payload.message);
    }
    case 'health_status':
      return { ...state, healthy: frame.payload.healthy };
    case 'scheduled_notification': {
      const { payload } = frame;
      return append(
        state,
        'system',
        `scheduled ${payload.schedule_name ?? payload.schedule_id}: ${payload.message}`,
      );
    }
    case 'session_created':
      return enterSession(state, frame.payload.session, undefined);
    case 'session_switched': {
      const active = frame.payload.active_turn;
      return enterSession(
        state,
        frame.payload.session,
        active?.state === 'running' ? active.turn_id : undefined,
      );
    }
    case 'media_attachment': {
      if (!inCurrentSession(state, frame.payload.session)) return state;
      const { attachment } = frame.payload;
      const name = attachment.file_name ?? attachment.file_path;
      return append(
        flushPartial(state),
        'system',
        `the agent sent a file: ${name} (${attachment.media_type}); the terminal UI cannot show it`,
      );
    }
    case 'session_list':
    case 'hello_ack':
      // Lists are printed by the command that asked; hello_ack arrives as a 'hello' event.
      return state;
    case 'approval_requested': {
      if (!inCurrentSession(state, frame.payload.session)) return state;
      const { approval_id: approvalId, tool, summary } = frame.payload;
      if (state.approvals.some((a) => a.approvalId === approvalId)) return state;
      const next = { ...state, approvals: [...state.approvals, { approvalId, tool, summary }] };
      return append(next, 'system', `approval needed: ${tool}: ${visibleControls(summary)}`);
    }
    case 'approval_resolved': {
      const pending = state.approvals.find((a) => a.approvalId === frame.payload.approval_id);
      if (!pending) return state;
      const next = { ...state, approvals: state.approvals.filter((a) => a !== pending) };
      return append(next, 'system', `${pending.tool} ${resolution(frame.payload.allow, frame.payload.by)}`);
    }
  }
}

function resolution(allow: boolean, by: ServerPayload<'approval_resolved'>['by']): string {
  if (allow) return 'approved';
  switch (by) {
    case 'timeout':
      return 'denied: nobody answered in time';
    case 'cancelled':
      return 'not run: the turn ended first';
    case 'policy':
      return 'denied: no client could answer';
    default:
      return 'denied';
  }
}

function onTurnCompleted(state: ViewState, payload: ServerPayload<'turn_completed'>): ViewState {
  if (!inCurrentSession(state, payload.session)) return state;
  const turnId = payload.turn.turn_id;
  const live = state.turn?.turnId === turnId ? state.turn : undefined;
  const ended = state.endedTurns.find((t) => t.turnId === turnId);
  if (!live && !ended && state.awaiting?.turnId !== turnId && state.turn) return state;
  const streamed = live?.streamed ?? ended?.streamed ?? '';
  const gap = live?.gap ?? ended?.gap ?? false;
  let next = live ? endTurn(state) : state;
  if (state.awaiting?.turnId === turnId) next = { ...next, awaiting: undefined };
  const message = payload.response.message;
  if (ended && !gap) return next; // a duplicate of a terminal frame already handled
  if (streamed === '') return appendReply(next, message);
  if (streamed.includes(message)) return next;
  if (message.startsWith(streamed)) return appendReply(next, message.slice(streamed.length));
  if (!gap) return next; // a multi-step turn: the deltas already showed every step's text
  return appendReply(
    append(next, 'system', 'part of the reply was missed while disconnected; the full reply:'),
    message,
  );
}

function addUsage(state: ViewState, payload: ServerPayload<'turn_completed'>): ViewState {
  const id = payload.session.session_id;
  const before = state.usage[id] ?? EMPTY_USAGE;
  const { usage } = payload.response;
  return {
    ...state,
    usage: {
      ...state.usage,
      [id]: {
        inputTokens: before.inputTokens + usage.input_tokens,
        outputTokens: before.outputTokens + usage.output_tokens,
        costUsd: before.costUsd + (usage.cost_usd ?? 0),
        costKnown: before.costKnown && usage.cost_usd !== undefined,
        turns: before.turns + 1,
      },
    },
  };
}

function enterSession(state: ViewState, session: SessionRef, runningTurnId: string | undefined): ViewState {
  let next: ViewState = { ...flushPartial(state), session, turn: undefined, awaiting: undefined };
  if (runningTurnId) next = withTurn(next, runningTurnId, true);
  return next;
}

/** The state with `turnId` as the live turn (ending a different live one first). */
function withTurn(state: ViewState, turnId: string, gap: boolean): ViewState {
  if (state.turn?.turnId === turnId) return state;
  const base = state.turn ? endTurn(state) : state;
  const turn: LiveTurn = { turnId, partial: '', open: NEW_OPEN_PART, streamed: '', gap };
  return { ...base, turn };
}

function endTurn(state: ViewState): ViewState {
  const flushed = flushPartial(state);
  const turn = flushed.turn;
  if (!turn) return flushed;
  return {
    ...flushed,
    turn: undefined,
    cancelRequestedFor: undefined,
    endedTurns: [
      ...flushed.endedTurns.filter((t) => t.turnId !== turn.turnId),
      { turnId: turn.turnId, streamed: turn.streamed, gap: turn.gap },
    ].slice(-ENDED_TURNS_KEPT),
  };
}

/**
 * Move the live reply's finished Markdown blocks into history (see markdown/blocks.ts); again
 * after each move, as a closed fence and what follows it can arrive in one delta.
 */
function commitBlocks(state: ViewState): ViewState {
  let next = state;
  for (;;) {
    const turn = next.turn;
    if (!turn) return next;
    const { done, open } = commitPoint(turn.partial, turn.open);
    if (done === 0) return open === turn.open ? next : { ...next, turn: { ...turn, open } };
    const rest = turn.partial.slice(done);
    next = appendReply({ ...next, turn: { ...turn, partial: rest, open } }, turn.partial.slice(0, done));
  }
}

function flushPartial(state: ViewState): ViewState {
  const turn = state.turn;
  if (!turn || turn.partial === '') return state;
  return appendReply({ ...state, turn: { ...turn, partial: '', open: NEW_OPEN_PART } }, turn.partial);
}

function inCurrentSession(state: ViewState, session: SessionRef): boolean {
  return state.session === undefined || state.session.session_id === session.session_id;
}

/** Markdown of the reply as one history entry (nothing for blank text). */
function appendReply(state: ViewState, markdown: string): ViewState {
  const text = markdown.trimEnd();
  if (text === '') return state;
  const continues = state.entries[state.entries.length - 1]?.kind === 'assistant';
  return addEntry(state, {
    id: state.nextEntryId,
    kind: 'assistant',
    text,
    ...(continues ? { continues } : {}),
  });
}

function append(state: ViewState, kind: EntryKind, text: string): ViewState {
  return addEntry(state, { id: state.nextEntryId, kind, text });
}

function addEntry(state: ViewState, entry: Entry): ViewState {
  return { ...state, entries: state.entries.concat(entry), nextEntryId: state.nextEntryId + 1 };
}
