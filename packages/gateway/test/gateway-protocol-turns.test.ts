/**
 * The WebSocket protocol v2 against a real gateway on a real kernel, its turns: streamed frame by
 * frame, counted, fanned out to every client of the session, one at a time per session,
 * cancelled (one or all of a user's), refused when not attached or badly formed, and a failed
 * run turned into an error frame. Hello and sessions: gateway-protocol-sessions.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameInbox } from '@oxydra/gateway-client';
import { describe, expect, it } from 'vitest';
import { useProtocolGateway } from './gateway-protocol-helpers.js';
import { Gate, heldScript, ownerSessions, sendTurn, type TestGateway, toolCallReply } from './helpers.js';

let env: TestGateway;
const { hello } = useProtocolGateway(
  () => env,
  (started) => {
    env = started;
  },
);

describe('turns', () => {
  it('streams a full turn: turn_started, turn_progress, assistant_delta..., turn_completed with usage and cost', async () => {
    const { client, inbox, ack } = await hello({ user_id: 'alice' });
    const session = ack.session;
    const requestId = client.send('send_turn', {
      session_id: session.session_id,
      turn_id: 't1',
      prompt: 'hello there',
    });
    const completed = await inbox.take('turn_completed');
    const turn = { turn_id: 't1', index: 1 };
    expect(completed.payload).toEqual({
      request_id: requestId,
      session,
      turn,
      response: {
        message: 'echo: hello there',
        tool_calls: [],
        finish_reason: 'stop',
        // gpt-4o-mini's catalog prices: $0.15 / $0.60 per million tokens in / out.
        usage: { input_tokens: 10, output_tokens: 3, cost_usd: expect.closeTo(0.0000033, 12) },
      },
    });
    // Every frame after hello_ack (which the client handles itself), in order.
    const types = inbox.frames.map((frame) => frame.type);
    expect(types).toEqual([
      'turn_started',
      'turn_progress',
      'assistant_delta',
      'assistant_delta',
      'assistant_delta',
      'turn_completed',
    ]);
    const deltas = inbox.frames.flatMap((f) => (f.type === 'assistant_delta' ? [f.payload.delta] : []));
    expect(deltas.join('')).toBe('echo: hello there');
    expect(inbox.frames.find((f) => f.type === 'turn_progress')?.payload).toMatchObject({
      turn,
      progress: { kind: 'model_turn', turn: 1, max_turns: 4 },
    });
    expect(inbox.malformed).toEqual([]);
    expect(env.spawns[0]).toMatchObject({ userId: 'alice', agentName: 'default', prompt: 'hello there' });
    expect(env.spawns[0]!.sessionId).toBe('runtime-alice');
    expect(env.model.calls[0]).toMatchObject({ prompt: 'hello there', attachments: [] });
  });

  it('counts turns per session and reports tool runs as progress and in tool_calls', async () => {
    writeFileSync(join(env.workspace, 'a.txt'), 'x');
    env.model.script = async function* (call) {
      if (call.messages.at(-1)?.role !== 'tool') {
        yield* toolCallReply('c1', 'file_read', { path: 'a.txt' });
        return;
      }
      yield { type: 'text_delta', text: 'read it' };
      yield { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } };
      yield { type: 'finish', reason: 'stop' };
    };
    const { client, inbox, ack } = await hello();
    const id = ack.session.session_id;
    sendTurn(client, id, 'first', 'a');
    await inbox.take('turn_completed');
    sendTurn(client, id, 'second', 'b');
    const completed = await inbox.take('turn_completed');
    expect(completed.payload.turn).toEqual({ turn_id: 'b', index: 2 });
    expect(completed.payload.response.tool_calls).toEqual([
      { id: 'c1', name: 'file_read', arguments: { path: 'a.txt' } },
    ]);
    expect(completed.payload.response.usage).toEqual({
      input_tokens: 5,
      output_tokens: 2,
      cost_usd: expect.closeTo(0.00000195, 12),
    });
    const kinds = inbox.frames.flatMap((f) =>
      f.type === 'turn_progress' && f.payload.turn.turn_id === 'b' ? [f.payload.progress.kind] : [],
    );
    expect(kinds).toEqual(['model_turn', 'tool_started', 'tool_finished', 'model_turn']);
  });

  it('sends every frame of a turn to every client attached to the session', async () => {
    const a = await hello({ user_id: 'alice', create_new_session: true });
    const id = a.ack.session.session_id;
    const b = await hello({ user_id: 'alice', session_id: id });
    sendTurn(a.client, id, 'shared');
    const [doneA, doneB] = await Promise.all([
      a.inbox.take('turn_completed'),
      b.inbox.take('turn_completed'),
    ]);
    expect(doneB).toEqual(doneA);
    const deltasOf = (inbox: FrameInbox) => inbox.frames.filter((f) => f.type === 'assistant_delta');
    expect(deltasOf(b.inbox)).toEqual(deltasOf(a.inbox));
  });

  it('allows one active turn per session ("turn already active", code turn_active)', async () => {
    const gate = new Gate();
    env.model.script = heldScript(gate);
    const { client, inbox, ack } = await hello();
    const id = ack.session.session_id;
    sendTurn(client, id, 'first', 'one');
    await inbox.take('assistant_delta');
    const dup = client.send('send_turn', { session_id: id, turn_id: 'two', prompt: 'second' });
    const error = await inbox.take('error');
    expect(error.payload).toMatchObject({ request_id: dup, code: 'turn_active' });
    expect(error.payload.message).toContain('turn already active');
    gate.release();
    expect((await inbox.take('turn_completed')).payload.response.message).toBe('working done');
    // The session is free again the moment turn_completed arrives.
    sendTurn(client, id, 'third', 'three');
    expect((await inbox.take('turn_completed')).payload.turn.turn_id).toBe('three');
  });

  it('cancels the active turn: the runner sees the abort and clients get turn_cancelled', async () => {
    env.model.script = heldScript(new Gate());
    const { client, inbox, ack } = await hello();
    const id = ack.session.session_id;
    sendTurn(client, id, 'long job', 'job');
    await inbox.take('assistant_delta');
    client.send('cancel_active_turn', { session_id: id, turn_id: 'job' });
    const cancelled = await inbox.take('turn_cancelled');
    expect(cancelled.payload.turn).toEqual({ turn_id: 'job', index: 1 });
    expect(env.model.calls[0]?.signal.aborted).toBe(true);
    expect(env.spawns[0]?.killed).toBe(true);
    const again = client.send('cancel_active_turn', { session_id: id });
    expect((await inbox.take('error')).payload).toMatchObject({ request_id: again, code: 'no_active_turn' });
    client.send('health_check', {});
    expect((await inbox.take('health_status')).payload.active_turn).toEqual({
      turn_id: 'job',
      state: 'cancelled',
    });
  });

  it("cancel_all_active_turns cancels every turn of the user's sessions, and no one else's", async () => {
    env.model.script = heldScript(new Gate());
    const one = await hello({ user_id: 'alice', create_new_session: true });
    const two = await hello({ user_id: 'alice', create_new_session: true });
    const other = await hello({ user_id: 'bob', create_new_session: true });
    for (const { client, ack } of [one, two, other]) sendTurn(client, ack.session.session_id, 'go');
    for (const { inbox } of [one, two, other]) await inbox.take('assistant_delta');
    one.client.send('cancel_all_active_turns', {});
    await one.inbox.take('turn_cancelled');
    await two.inbox.take('turn_cancelled');
    other.client.send('health_check', {});
    expect((await other.inbox.take('health_status')).payload.active_turn?.state).toBe('running');
  });

  it('refuses a turn for a session the connection is not attached to', async () => {
    const { client, inbox } = await hello({ user_id: 'alice' });
    const other = await (await ownerSessions(env.kernel)).create({ userId: 'alice' });
    sendTurn(client, other.id, 'hi');
    expect((await inbox.take('error')).payload.code).toBe('session_mismatch');
  });

  it('refuses an empty prompt and attachments that are not base64, and passes good attachments on', async () => {
    const { client, inbox, ack } = await hello();
    const id = ack.session.session_id;
    sendTurn(client, id, '   ');
    expect((await inbox.take('error')).payload.code).toBe('invalid_frame');
    const bad = client.send('send_turn', {
      session_id: id,
      turn_id: 'x',
      prompt: 'look',
      attachments: [{ mime_type: 'image/png', data: 'not base64!' }],
    });
    expect((await inbox.take('error')).payload).toMatchObject({
      request_id: bad,
      code: 'invalid_attachment',
    });
    client.send('send_turn', {
      session_id: id,
      turn_id: 'y',
      prompt: 'look',
      attachments: [{ mime_type: 'image/png', data: 'aGVsbG8=' }],
    });
    await inbox.take('turn_completed');
    expect(env.model.calls.at(-1)?.attachments).toEqual([{ mimeType: 'image/png', data: 'aGVsbG8=' }]);
  });

  it("turns a failed run into an error frame with the run's code, and a throwing runner into one too", async () => {
    // A model that never stops asking for tools uses up max_turns (4 in these tests).
    env.model.script = async function* () {
      yield* toolCallReply(`c${Math.random()}`, 'file_list', {});
    };
    const { client, inbox, ack } = await hello();
    const id = ack.session.session_id;
    sendTurn(client, id, 'expensive', 'e1');
    expect((await inbox.take('error')).payload).toMatchObject({
      code: 'budget_exceeded',
      message: expect.stringContaining('turn budget exhausted: 4 of 4 model calls used'),
      turn: { turn_id: 'e1', index: 1 },
    });
    env.model.script = async function* () {
      yield* [];
      throw new Error('database password is hunter2');
    };
    sendTurn(client, id, 'boom', 'e2');
    const error = await inbox.take('error');
    expect(error.payload.code).toBe('internal_error');
    expect(error.payload.message).not.toContain('hunter2');
  });
});
