/**
 * What an `error` frame from the gateway does to the chat's turn: the rule the chat store
 * applies, kept apart so it can be tested without a browser.
 */
import type { ServerPayload } from '@oxydra/types/gateway';

/** The chat's turn as the store tracks it; `requestId`: the send_turn that asked for it. */
export interface ChatTurn {
  turnId: string;
  state: 'queued' | 'running';
  requestId?: string;
}

export interface ErrorOutcome {
  /** The turn the error ends: the one it names, the chat's own, or none. */
  ends: { turnId: string } | 'current' | undefined;
  /** Whether the user is shown the message. */
  notify: boolean;
}

export function errorOutcome(error: ServerPayload<'error'>, turn: ChatTurn | undefined): ErrorOutcome {
  // The send_turn itself refused (the frame rate limit, a bad frame): no turn will start. Before,
  // a refusal by the rate limit was ignored and the turn stayed "queued" for good.
  const refused = error.request_id !== undefined && error.request_id === turn?.requestId;
  const ends = error.turn
    ? { turnId: error.turn.turn_id }
    : refused || error.code === 'turn_active' || error.code === 'session_deleted'
      ? 'current'
      : undefined;
  // A refusal of some other frame (a background refresh) is retried by what sent it; hello's own
  // errors are the connection's state, shown there.
  const quiet = (error.code === 'rate_limited' && !refused) || error.request_id?.startsWith('hello') === true;
  return { ends, notify: !quiet };
}
