/**
 * What an error frame does to the dashboard chat's turn. A send_turn refused by the gateway's
 * frame rate limit (its error names the request since the gateway answers each refused request)
 * left the turn "queued" for good: the chat ignored every rate_limited error.
 */
import type { ServerPayload } from '@oxydra/types/gateway';
import { describe, expect, it } from 'vitest';
import { type ChatTurn, errorOutcome } from '../src/chat-errors.js';

const queued: ChatTurn = { turnId: 'web-t1', state: 'queued', requestId: 'web-7' };
const error = (payload: Partial<ServerPayload<'error'>>): ServerPayload<'error'> => ({
  code: 'rate_limited',
  message: 'too many frames: at most 50 per second (bursts of 100); slow down',
  ...payload,
});

describe("an error frame and the chat's turn", () => {
  it('a refusal of the send_turn itself ends the queued turn and is shown', () => {
    expect(errorOutcome(error({ request_id: 'web-7' }), queued)).toEqual({ ends: 'current', notify: true });
  });

  it('a refusal of another request (a background refresh) leaves the turn alone, quietly', () => {
    expect(errorOutcome(error({ request_id: 'web-8' }), queued)).toEqual({ ends: undefined, notify: false });
    expect(errorOutcome(error({}), queued)).toEqual({ ends: undefined, notify: false });
    // A running turn has no pending send_turn: a refusal naming no request is not about it.
    expect(errorOutcome(error({}), { turnId: 'web-t1', state: 'running' })).toEqual({
      ends: undefined,
      notify: false,
    });
  });

  it('an error naming a turn ends that turn; turn_active and session_deleted end the current one', () => {
    const session = { user_id: 'u', session_id: 's' };
    expect(
      errorOutcome(error({ code: 'provider_error', turn: { turn_id: 'web-t1', index: 3 }, session }), queued),
    ).toEqual({ ends: { turnId: 'web-t1' }, notify: true });
    expect(errorOutcome(error({ code: 'turn_active' }), queued)).toEqual({ ends: 'current', notify: true });
    expect(errorOutcome(error({ code: 'session_deleted' }), undefined)).toEqual({
      ends: 'current',
      notify: true,
    });
  });

  it("hello's own errors are the connection's to show", () => {
    expect(errorOutcome(error({ code: 'unauthorized', request_id: 'hello-1' }), undefined)).toEqual({
      ends: undefined,
      notify: false,
    });
  });
});
