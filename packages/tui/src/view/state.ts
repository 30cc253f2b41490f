/** What the TUI shows, as plain data: the view store holds it, the Ink components draw it. */
import type { ConnectionState, SessionRef } from '@oxydra/gateway-client';
import type { OpenPart } from '../markdown/blocks.js';

/**
 * One finished piece of history. Entries are only ever appended (Ink's <Static> prints each once
 * and leaves it in the terminal's scrollback), so a streamed reply becomes one entry per
 * finished run of Markdown blocks (markdown/blocks.ts); other kinds are one line each.
 */
/** tool_failed: a tool call that failed, with why (the turn goes on: the model is told). */
export type EntryKind = 'user' | 'assistant' | 'tool' | 'tool_failed' | 'system' | 'error';

export interface Entry {
  id: number;
  kind: EntryKind;
  /** A line, or for 'assistant' Markdown (one or more whole blocks). */
  text: string;
  /** An assistant entry right after another: drawn a blank row below it, as blocks are. */
  continues?: boolean;
}

/** Tokens and dollars of one session, summed over the turn_completed frames this TUI saw. */
export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** False once a turn came without a cost (a model with no price in the catalog). */
  costKnown: boolean;
  turns: number;
}

/** The reply being streamed in the current session. */
export interface LiveTurn {
  turnId: string;
  /**
   * The reply's Markdown from its last open block on (everything before went into history),
   * drawn below the history and redrawn as deltas arrive.
   */
  partial: string;
  /** What the search for finished blocks remembers about `partial` (markdown/blocks.ts). */
  open: OpenPart;
  /** Every delta so far, to reconcile with turn_completed's full message. */
  streamed: string;
  /** The latest turn_progress message (tool activity), shown above the input. */
  progress?: string;
  /** The connection dropped while it ran, so some deltas may never have arrived. */
  gap: boolean;
}

interface EndedTurn {
  turnId: string;
  streamed: string;
  gap: boolean;
}

/** A privileged call waiting for the user's y/n (approval_requested). */
interface PendingApproval {
  approvalId: string;
  tool: string;
  summary: string;
}

export interface ViewState {
  entries: readonly Entry[];
  nextEntryId: number;
  connection: ConnectionState;
  /** From the latest health_status; undefined until one arrives. */
  healthy: boolean | undefined;
  session: SessionRef | undefined;
  /** A prompt was sent and its turn_started has not arrived yet. */
  awaiting: { requestId: string; turnId: string } | undefined;
  turn: LiveTurn | undefined;
  /** The turn a cancel was sent for (a second Ctrl+C then exits instead of asking again). */
  cancelRequestedFor: string | undefined;
  /** What was streamed of recently ended turns, for terminal frames replayed after a reconnect. */
  endedTurns: readonly EndedTurn[];
  usage: Readonly<Record<string, UsageTotals>>;
  /** Questions of the current session, oldest first: the input answers the first one. */
  approvals: readonly PendingApproval[];
}

export const EMPTY_USAGE: UsageTotals = {
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  costKnown: true,
  turns: 0,
};

export function initialViewState(): ViewState {
  return {
    entries: [],
    nextEntryId: 1,
    connection: { state: 'connecting' },
    healthy: undefined,
    session: undefined,
    awaiting: undefined,
    turn: undefined,
    cancelRequestedFor: undefined,
    approvals: [],
    endedTurns: [],
    usage: {},
  };
}

/** Is a turn running (or about to) in the current session? */
export function isBusy(state: ViewState): boolean {
  return state.turn !== undefined || state.awaiting !== undefined;
}
