/** The view's state machine: streaming into history, usage, sessions, reconnects, bad frames. */
import type { ServerFrame } from '@oxydra/types/gateway';
import { describe, expect, it } from 'vitest';
import { reduceView, type ViewAction } from '../src/view/reducer.js';
import { initialViewState, isBusy, type ViewState } from '../src/view/state.js';

const SESSION = { user_id: 'alice', session_id: 'sess-aaaa-1111' };
const OTHER = { user_id: 'alice', session_id: 'sess-bbbb-2222' };
const ack = (session = SESSION, running?: string) => ({
  request_id: 'h',
  protocol_version: 2,
  session,
  ...(running ? { active_turn: { turn_id: running, state: 'running' as const } } : {}),
});
const turn = (turnId = 't1') => ({ turn_id: turnId, index: 0 });
const started = (turnId = 't1', session = SESSION): ServerFrame => ({
  type: 'turn_started',
  payload: { request_id: 'r1', session, turn: turn(turnId) },
});
const delta = (text: string, turnId = 't1', session = SESSION): ServerFrame => ({
  type: 'assistant_delta',
  payload: { request_id: 'r1', session, turn: turn(turnId), delta: text },
});
const completed = (
  message: string,
  turnId = 't1',
  usage: { input_tokens: number; output_tokens: number; cost_usd?: number } = {
    input_tokens: 100,
    output_tokens: 20,
    cost_usd: 0.001,
  },
  session = SESSION,
): ServerFrame => ({
  type: 'turn_completed',
  payload: {
    request_id: 'r1',
    session,
    turn: turn(turnId),
    response: { message, tool_calls: [], finish_reason: 'stop', usage },
  },
});

function run(...actions: ViewAction[]): ViewState {
  return actions.reduce(
    reduceView,
    reduceView(initialViewState(), { kind: 'hello', ack: ack(), resumed: false }),
  );
}
const frame = (f: ServerFrame): ViewAction => ({ kind: 'frame', frame: f });
/** A turn_progress frame of turn t1 (model call `at` of 8). */
const progress = (kind: string, message: string, at: number): ServerFrame => ({
  type: 'turn_progress',
  payload: {
    request_id: 'r1',
    session: SESSION,
    turn: turn(),
    progress: { kind, message, turn: at, max_turns: 8 },
  },
});
const lines = (state: ViewState) => state.entries.map((e) => `${e.kind}: ${e.text}`);

describe('view: a streamed reply', () => {
  it('moves finished Markdown blocks into history and keeps the open one live', () => {
    const state = run(
      { kind: 'prompt', text: 'hi', requestId: 'r1', turnId: 't1' },
      frame(started()),
      frame(delta('Hello\nthere\n\nwor')),
      frame(delta('ld\nand')),
    );
    // "Hello\nthere" is one paragraph, finished once the next block began on a complete line.
    expect(lines(state)).toEqual(['user: hi', 'assistant: Hello\nthere']);
    expect(state.turn).toMatchObject({ turnId: 't1', partial: 'world\nand' });
    expect(state.awaiting).toBeUndefined();
    expect(isBusy(state)).toBe(true);
  });

  it('ends on turn_completed: the open block printed once, the usage added to the session', () => {
    const state = run(
      { kind: 'prompt', text: 'hi', requestId: 'r1', turnId: 't1' },
      frame(started()),
      frame(delta('Hello\nworld')),
      frame(completed('Hello\nworld')),
      { kind: 'prompt', text: 'again', requestId: 'r2', turnId: 't2' },
      frame(started('t2')),
      frame(completed('Second.', 't2', { input_tokens: 50, output_tokens: 5, cost_usd: 0.0005 })),
    );
    expect(lines(state)).toEqual([
      'user: hi',
      'assistant: Hello\nworld',
      'user: again',
      'assistant: Second.',
    ]);
    expect(state.turn).toBeUndefined();
    expect(isBusy(state)).toBe(false);
    expect(state.usage[SESSION.session_id]).toEqual({
      inputTokens: 150,
      outputTokens: 25,
      costUsd: 0.0015,
      costKnown: true,
      turns: 2,
    });
  });

  it('does not repeat text a multi-step turn already streamed', () => {
    const state = run(
      frame(started()),
      frame(delta('Let me look.\n')),
      frame(progress('tool_started', 'running file_read', 1)),
      frame(delta('It says 4.')),
      frame(completed('It says 4.')),
    );
    expect(lines(state)).toEqual([
      'assistant: Let me look.',
      'tool: [1/8] running file_read',
      'assistant: It says 4.',
    ]);
  });

  it('shows tool activity as it comes and as the prompt title', () => {
    const state = run(
      frame(started()),
      frame(delta('partial line')),
      frame(progress('tool_started', 'running shell_exec', 2)),
    );
    expect(lines(state)).toEqual(['assistant: partial line', 'tool: [2/8] running shell_exec']);
    expect(state.turn?.progress).toBe('[2/8] running shell_exec');
  });

  it('shows a failed tool call with why, as a failure line of its own', () => {
    const state = run(
      frame(started()),
      frame(progress('tool_failed', 'file_read failed: no such file: notes/missing.md', 1)),
    );
    expect(lines(state)).toEqual(['tool_failed: [1/8] file_read failed: no such file: notes/missing.md']);
  });

  it('shows a new model call above the prompt only, without numbering it twice', () => {
    const state = run(frame(started()), frame(progress('model_turn', '[3/8] thinking', 3)));
    expect(state.entries).toEqual([]);
    expect(state.turn?.progress).toBe('[3/8] thinking');
  });

  it('marks the cost unknown once a turn comes without one', () => {
    const state = run(frame(completed('a', 't1', { input_tokens: 1, output_tokens: 1 })));
    expect(state.usage[SESSION.session_id]).toMatchObject({ costKnown: false, turns: 1 });
  });

  it('ends the turn on turn_cancelled and on an error about it', () => {
    const cancelled = run(
      frame(started()),
      frame(delta('so far')),
      { kind: 'cancel_requested', turnId: 't1' },
      frame({ type: 'turn_cancelled', payload: { request_id: 'r1', session: SESSION, turn: turn() } }),
    );
    expect(lines(cancelled)).toEqual(['assistant: so far', 'system: turn cancelled']);
    expect(cancelled.turn).toBeUndefined();
    expect(cancelled.cancelRequestedFor).toBeUndefined();

    const failed = run(
      frame(started()),
      frame({
        type: 'error',
        payload: {
          request_id: 'r1',
          session: SESSION,
          turn: turn(),
          code: 'provider_error',
          message: 'the model failed',
        },
      }),
    );
    expect(lines(failed)).toEqual(['error: the model failed (provider_error)']);
    expect(failed.turn).toBeUndefined();
  });

  it('ends a turn the gateway says is not running (its last frame was lost)', () => {
    const state = run(
      frame(started()),
      frame({
        type: 'error',
        payload: { request_id: 'c1', session: SESSION, code: 'no_active_turn', message: 'no active turn' },
      }),
    );
    expect(state.turn).toBeUndefined();
    expect(isBusy(state)).toBe(false);
  });

  it('clears the wait when the gateway refuses a prompt', () => {
    const state = run(
      { kind: 'prompt', text: 'hi', requestId: 'r9', turnId: 't9' },
      frame({ type: 'error', payload: { request_id: 'r9', code: 'busy', message: 'too many turns' } }),
    );
    expect(isBusy(state)).toBe(false);
    expect(lines(state)).toEqual(['user: hi', 'error: too many turns (busy)']);
  });
});

describe('view: sessions', () => {
  it('ignores turn frames of another session but counts their usage there', () => {
    const state = run(
      frame(started('x', OTHER)),
      frame(delta('elsewhere', 'x', OTHER)),
      frame(completed('elsewhere', 'x', undefined, OTHER)),
    );
    expect(state.entries).toEqual([]);
    expect(state.turn).toBeUndefined();
    expect(state.usage[OTHER.session_id]?.turns).toBe(1);
  });

  it('follows session_created and session_switched, picking up a running turn', () => {
    const created = run(
      frame(started()),
      frame({
        type: 'session_created',
        payload: { request_id: 'c', session: OTHER, agent_name: 'default' },
      }),
    );
    expect(created.session).toEqual(OTHER);
    expect(created.turn).toBeUndefined();

    const switched = run(
      frame({
        type: 'session_switched',
        payload: { request_id: 's', session: OTHER, active_turn: { turn_id: 'busy', state: 'running' } },
      }),
      frame(delta('continuing', 'busy', OTHER)),
    );
    expect(switched.session).toEqual(OTHER);
    expect(switched.turn).toMatchObject({ turnId: 'busy', partial: 'continuing' });
  });
});

describe('view: connection', () => {
  it('notes a lost connection and the resumed session, and keeps streaming the turn', () => {
    const state = run(
      frame(started()),
      frame(delta('before ')),
      { kind: 'connection', connection: { state: 'connected' } },
      {
        kind: 'connection',
        connection: {
          state: 'reconnecting',
          attempt: 1,
          delayMs: 250,
          reason: 'connection lost (code 1006)',
        },
      },
      { kind: 'hello', ack: ack(SESSION, 't1'), resumed: true },
      { kind: 'connection', connection: { state: 'connected' } },
      frame(delta('after')),
      frame(completed('before after')),
    );
    expect(lines(state)).toEqual([
      'system: connection lost: connection lost (code 1006); reconnecting...',
      'system: reconnected; session sess-aaaa-1111 resumed',
      'assistant: before after',
    ]);
  });

  it('prints what was missed when the turn ended while disconnected', () => {
    const state = run(
      frame(started()),
      frame(delta('One.\n')),
      { kind: 'connection', connection: { state: 'connected' } },
      { kind: 'connection', connection: { state: 'reconnecting', attempt: 1, delayMs: 250, reason: 'lost' } },
      { kind: 'hello', ack: ack(), resumed: true },
      // The gateway replays the turn's terminal frame to the reconnected client.
      frame(completed('One.\nTwo.')),
    );
    // "One." was still the open block (drawn live) until the turn ended.
    expect(lines(state)).toEqual([
      'system: connection lost: lost; reconnecting...',
      'system: reconnected; session sess-aaaa-1111 resumed',
      'assistant: One.',
      'system: the turn ended while the connection was down',
      'assistant: Two.',
    ]);
    expect(state.turn).toBeUndefined();
  });

  it('shows a malformed frame as an error line', () => {
    const state = run({ kind: 'malformed', problem: 'not JSON: garbage' });
    expect(lines(state)).toEqual(['error: ignored a malformed frame from the gateway: not JSON: garbage']);
  });

  it('says when it joins a session whose turn is running', () => {
    const state = reduceView(initialViewState(), {
      kind: 'hello',
      ack: ack(SESSION, 'busy'),
      resumed: false,
    });
    expect(state.turn?.turnId).toBe('busy');
    expect(lines(state)).toEqual(['system: a turn is running in this session; its reply streams below']);
  });
});

describe('approval questions', () => {
  const asked = (id: string, session = SESSION): ServerFrame => ({
    type: 'approval_requested',
    payload: {
      session,
      approval_id: id,
      agent_id: 'ag-1',
      tool: 'shell_exec',
      summary: 'rm -rf build',
      expires_at: '2030-01-01T00:00:00Z',
    },
  });
  const resolved = (
    id: string,
    allow: boolean,
    by: 'client' | 'timeout' | 'cancelled' | 'policy' = 'client',
  ): ServerFrame => ({
    type: 'approval_resolved',
    payload: { session: SESSION, approval_id: id, allow, by },
  });
  const start = () => reduceView(initialViewState(), { kind: 'hello', ack: ack(), resumed: false });
  const frame = (state: ViewState, f: ServerFrame) => reduceView(state, { kind: 'frame', frame: f });

  it('queues questions of the current session in order, once each, and ignores other sessions', () => {
    let state = frame(frame(frame(start(), asked('a1')), asked('a2')), asked('a1'));
    state = frame(state, asked('x9', OTHER));
    expect(state.approvals.map((a) => a.approvalId)).toEqual(['a1', 'a2']);
    expect(state.entries.at(-1)?.text).toBe('approval needed: shell_exec: rm -rf build');
  });

  it('drops a question when it is resolved, saying how', () => {
    let state = frame(frame(start(), asked('a1')), asked('a2'));
    state = frame(state, resolved('a1', true));
    expect(state.approvals.map((a) => a.approvalId)).toEqual(['a2']);
    expect(state.entries.at(-1)?.text).toBe('shell_exec approved');
    state = frame(state, resolved('a2', false, 'timeout'));
    expect(state.approvals).toEqual([]);
    expect(state.entries.at(-1)?.text).toBe('shell_exec denied: nobody answered in time');
    const unchanged = frame(state, resolved('zz', false));
    expect(unchanged).toBe(state);
  });

  it('forgets pending questions on a new hello (they were refused when the connection dropped)', () => {
    const state = frame(start(), asked('a1'));
    expect(reduceView(state, { kind: 'hello', ack: ack(), resumed: true }).approvals).toEqual([]);
  });
});
