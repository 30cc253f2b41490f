/**
 * The WebSocket protocol v2 against a real gateway on a real kernel, its turns: streamed frame by
 * frame, counted, fanned out to every client of the session, one at a time per session,
 * cancelled (one or all of a user's), refused when not attached or badly formed, and a failed
 * run turned into an error frame. Hello and sessions: gateway-protocol-sessions.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useProtocolGateway } from './gateway-protocol-helpers.js';
import { Gate, heldScript, sendTurn, type TestClient, type TestGateway, toolCallReply } from './helpers.js';

let env: TestGateway;
const { hello } = useProtocolGateway(
  () => env,
  (started) => {
    env = started;
  },
);

describe('turns', () => {
  it('streams a full turn: turn_started, turn_progress, assistant_delta..., turn_completed with usage and cost', async () => {
    const { client, ack } = await hello({ user_id: 'alice' });
    const session = ack.payload.session;
    client.send({
      type: 'send_turn',
      payload: { request_id: 'turn-1', session_id: session.session_id, turn_id: 't1', prompt: 'hello there' },
    });
    const completed = await client.take('turn_completed');
    const turn = { turn_id: 't1', index: 1 };
    expect(completed.payload).toEqual({
      request_id: 'turn-1',
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
    const types = client.frames.map((frame) => frame.type);
    expect(types).toEqual([
      'hello_ack',
      'turn_started',
      'turn_progress',
      'assistant_delta',
      'assistant_delta',
      'assistant_delta',
      'turn_completed',
    ]);
    const deltas = client.frames.flatMap((f) => (f.type === 'assistant_delta' ? [f.payload.delta] : []));
    expect(deltas.join('')).toBe('echo: hello there');
    expect(client.frames.find((f) => f.type === 'turn_progress')?.payload).toMatchObject({
      turn,
      progress: { kind: 'model_turn', turn: 1, max_turns: 4 },
    });
    expect(client.invalid).toEqual([]);
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
    const { client, ack } = await hello();
    const id = ack.payload.session.session_id;
    sendTurn(client, id, 'first', 'a');
    await client.take('turn_completed');
    sendTurn(client, id, 'second', 'b');
    const completed = await client.take('turn_completed');
    expect(completed.payload.turn).toEqual({ turn_id: 'b', index: 2 });
    expect(completed.payload.response.tool_calls).toEqual([
      { id: 'c1', name: 'file_read', arguments: { path: 'a.txt' } },
    ]);
    expect(completed.payload.response.usage).toEqual({
      input_tokens: 5,
      output_tokens: 2,
      cost_usd: expect.closeTo(0.00000195, 12),
    });
    const kinds = client.frames.flatMap((f) =>
      f.type === 'turn_progress' && f.payload.turn.turn_id === 'b' ? [f.payload.progress.kind] : [],
    );
    expect(kinds).toEqual(['model_turn', 'tool_started', 'tool_finished', 'model_turn']);
  });

  it('sends every frame of a turn to every client attached to the session', async () => {
    const a = await hello({ user_id: 'alice', create_new_session: true });
    const id = a.ack.payload.session.session_id;
    const b = await hello({ user_id: 'alice', session_id: id });
    sendTurn(a.client, id, 'shared');
    const [doneA, doneB] = await Promise.all([
      a.client.take('turn_completed'),
      b.client.take('turn_completed'),
    ]);
    expect(doneB).toEqual(doneA);
    const deltasOf = (client: TestClient) => client.frames.filter((f) => f.type === 'assistant_delta');
    expect(deltasOf(b.client)).toEqual(deltasOf(a.client));
  });

  it('allows one active turn per session ("turn already active", code turn_active)', async () => {
    const gate = new Gate();
    env.model.script = heldScript(gate);
    const { client, ack } = await hello();
    const id = ack.payload.session.session_id;
    sendTurn(client, id, 'first', 'one');
    await client.take('assistant_delta');
    client.send({
      type: 'send_turn',
      payload: { request_id: 'dup', session_id: id, turn_id: 'two', prompt: 'second' },
    });
    const error = await client.take('error');
    expect(error.payload).toMatchObject({ request_id: 'dup', code: 'turn_active' });
    expect(error.payload.message).toContain('turn already active');
    gate.release();
    expect((await client.take('turn_completed')).payload.response.message).toBe('working done');
    // The session is free again the moment turn_completed arrives.
    sendTurn(client, id, 'third', 'three');
    expect((await client.take('turn_completed')).payload.turn.turn_id).toBe('three');
  });

  it('cancels the active turn: the runner sees the abort and clients get turn_cancelled', async () => {
    env.model.script = heldScript(new Gate());
    const { client, ack } = await hello();
    const id = ack.payload.session.session_id;
    sendTurn(client, id, 'long job', 'job');
    await client.take('assistant_delta');
    client.send({ type: 'cancel_active_turn', payload: { request_id: 'c', session_id: id, turn_id: 'job' } });
    const cancelled = await client.take('turn_cancelled');
    expect(cancelled.payload.turn).toEqual({ turn_id: 'job', index: 1 });
    expect(env.model.calls[0]?.signal.aborted).toBe(true);
    expect(env.spawns[0]?.killed).toBe(true);
    client.send({ type: 'cancel_active_turn', payload: { request_id: 'c2', session_id: id } });
    expect((await client.take('error')).payload).toMatchObject({ request_id: 'c2', code: 'no_active_turn' });
    client.send({ type: 'health_check', payload: { request_id: 'h' } });
    expect((await client.take('health_status')).payload.active_turn).toEqual({
      turn_id: 'job',
      state: 'cancelled',
    });
  });

  it("cancel_all_active_turns cancels every turn of the user's sessions, and no one else's", async () => {
    env.model.script = heldScript(new Gate());
    const one = await hello({ user_id: 'alice', create_new_session: true });
    const two = await hello({ user_id: 'alice', create_new_session: true });
    const other = await hello({ user_id: 'bob', create_new_session: true });
    for (const { client, ack } of [one, two, other]) sendTurn(client, ack.payload.session.session_id, 'go');
    for (const { client } of [one, two, other]) await client.take('assistant_delta');
    one.client.send({ type: 'cancel_all_active_turns', payload: { request_id: 'all' } });
    await one.client.take('turn_cancelled');
    await two.client.take('turn_cancelled');
    other.client.send({ type: 'health_check', payload: { request_id: 'h' } });
    expect((await other.client.take('health_status')).payload.active_turn?.state).toBe('running');
  });

  it('refuses a turn for a session the connection is not attached to', async () => {
    const { client } = await hello({ user_id: 'alice' });
    const other = await env.kernel.sessions!.create({ userId: 'alice' });
    sendTurn(client, other.id, 'hi');
    expect((await client.take('error')).payload.code).toBe('session_mismatch');
  });

  it('refuses an empty prompt and attachments that are not base64, and passes good attachments on', async () => {
    const { client, ack } = await hello();
    const id = ack.payload.session.session_id;
    sendTurn(client, id, '   ');
    expect((await client.take('error')).payload.code).toBe('invalid_frame');
    client.send({
      type: 'send_turn',
      payload: {
        request_id: 'a',
        session_id: id,
        turn_id: 'x',
        prompt: 'look',
        attachments: [{ mime_type: 'image/png', data: 'not base64!' }],
      },
    });
    expect((await client.take('error')).payload).toMatchObject({
      request_id: 'a',
      code: 'invalid_attachment',
    });
    client.send({
      type: 'send_turn',
      payload: {
        request_id: 'b',
        session_id: id,
        turn_id: 'y',
        prompt: 'look',
        attachments: [{ mime_type: 'image/png', data: 'aGVsbG8=' }],
      },
    });
    await client.take('turn_completed');
    expect(env.model.calls.at(-1)?.attachments).toEqual([{ mimeType: 'image/png', data: 'aGVsbG8=' }]);
  });

  it("turns a failed run into an error frame with the run's code, and a throwing runner into one too", async () => {
    // A model that never stops asking for tools uses up max_turns (4 in these tests).
    env.model.script = async function* () {
      yield* toolCallReply(`c${Math.random()}`, 'file_list', {});
    };
    const { client, ack } = await hello();
    const id = ack.payload.session.session_id;
    sendTurn(client, id, 'expensive', 'e1');
    expect((await client.take('error')).payload).toMatchObject({
      code: 'budget_exceeded',
      message: expect.stringContaining('turn budget exhausted: 4 of 4 model calls used'),
      turn: { turn_id: 'e1', index: 1 },
    });
    env.model.script = async function* () {
      yield* [];
      throw new Error('database password is hunter2');
    };
    sendTurn(client, id, 'boom', 'e2');
    const error = await client.take('error');
    expect(error.payload.code).toBe('internal_error');
    expect(error.payload.message).not.toContain('hunter2');
  });
});
