/**
 * The WebSocket protocol v2 against a real gateway on a real kernel, its sessions: hello (the
 * default session, new and resumed ones, another user's refused, the protocol version checked),
 * sessions created, listed and switched over the protocol, and the per-user limits on sessions
 * and on turns at once. Turns, fan-out and cancel: gateway-protocol-turns.test.ts.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { GATEWAY_PROTOCOL_VERSION } from '@oxydra/types/gateway';
import { describe, expect, it } from 'vitest';
import { useProtocolGateway } from './gateway-protocol-helpers.js';
import {
  Gate,
  heldScript,
  ownerSessions,
  ScriptedModel,
  sendTurn,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from './helpers.js';
import { RawSocket } from './raw-socket.js';

let env: TestGateway;
const { clients, hello } = useProtocolGateway(
  () => env,
  (started) => {
    env = started;
  },
);

/** `count` clients, connected first, then all saying hello at once: each one's answer (hello_ack or error). */
async function hellosAtOnce(count: number, payload: Record<string, unknown>) {
  const connected = await Promise.all(
    Array.from({ length: count }, () => RawSocket.open(env.wsUrl, { token: TOKEN })),
  );
  clients.push(...connected);
  for (const client of connected) {
    client.send({
      type: 'hello',
      payload: { request_id: 'h', protocol_version: GATEWAY_PROTOCOL_VERSION, ...payload },
    });
  }
  return Promise.all(
    connected.map((client) =>
      pollUntil(
        () => client.inbox.frames.find((frame) => frame.type === 'hello_ack' || frame.type === 'error'),
        'an answer to hello',
      ),
    ),
  );
}

describe('hello', () => {
  it('gives a user without session_id their one default session (runtime-<user>), the same every time', async () => {
    const first = await hello({ user_id: 'alice' });
    expect(first.ack).toEqual({
      request_id: expect.stringMatching(/^test-.+-1$/), // the client's first request: its hello
      protocol_version: GATEWAY_PROTOCOL_VERSION,
      session: { user_id: 'alice', session_id: 'runtime-alice' },
      sandbox: { tier: 'none', shell: 'unsandboxed', summary: 'none (sandbox off by configuration)' },
    });
    const again = await hello({ user_id: 'alice' });
    expect(again.ack.session.session_id).toBe('runtime-alice');
    const stored = await (await ownerSessions(env.kernel)).get('runtime-alice');
    expect(stored).toMatchObject({ userId: 'alice', channelOrigin: 'gateway', agent: 'default' });
    // Lists name it for people, even once its first message has titled it.
    await (await ownerSessions(env.kernel)).appendTurn('runtime-alice', [{ role: 'user', content: 'hi' }]);
    again.client.send('list_sessions', { include_archived: false, include_subagent_sessions: false });
    const [listed] = (await again.inbox.take('session_list')).payload.sessions;
    expect(listed).toMatchObject({
      session_id: 'runtime-alice',
      name: 'Default session',
      display_name: 'hi',
    });
  });

  it('creates a new UUID v7 session with create_new_session, and resumes it by session_id', async () => {
    const { ack } = await hello({ user_id: 'bob', create_new_session: true });
    const id = ack.session.session_id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const resumed = await hello({ user_id: 'bob', session_id: id });
    expect(resumed.ack.session).toEqual({ user_id: 'bob', session_id: id });
  });

  it("refuses another user's session as not found, and an unknown session", async () => {
    const { ack } = await hello({ user_id: 'alice', create_new_session: true });
    const client = await RawSocket.open(env.wsUrl, { token: TOKEN });
    clients.push(client);
    for (const sessionId of [ack.session.session_id, 'no-such-session']) {
      client.send({
        type: 'hello',
        payload: { request_id: 'h', protocol_version: 2, user_id: 'mallory', session_id: sessionId },
      });
      const error = await client.inbox.take('error');
      expect(error.payload).toMatchObject({ request_id: 'h', code: 'session_not_found' });
    }
  });

  it('lets go of the session it held when a new hello names another user, even if that hello fails', async () => {
    const { client, inbox } = await hello({ user_id: 'alice' });
    client.send('hello', {
      protocol_version: 2,
      user_id: 'mallory',
      session_id: 'runtime-alice',
      create_new_session: false,
    });
    expect((await inbox.take('error')).payload).toMatchObject({ code: 'session_not_found' });
    const alice = await hello({ user_id: 'alice' });
    sendTurn(alice.client, 'runtime-alice', 'hello');
    await alice.inbox.take('turn_completed');
    // Frames on one socket arrive in order: any frame of alice's turn came before this answer.
    client.send('health_check', {});
    await inbox.take('health_status');
    expect(inbox.frames.map((frame) => frame.type)).not.toContain('turn_started');
  });

  it('answers another protocol version with an error frame and closes the connection', async () => {
    const client = await RawSocket.open(env.wsUrl, { token: TOKEN });
    client.send({ type: 'hello', payload: { request_id: 'v1', protocol_version: 1 } });
    const error = await client.inbox.take('error');
    expect(error.payload).toMatchObject({ request_id: 'v1', code: 'unsupported_protocol' });
    expect(error.payload.message).toContain('version 2');
    expect((await client.closed).code).toBe(1002);
  });

  it('requires hello before anything but health_check', async () => {
    const client = await RawSocket.open(env.wsUrl, { token: TOKEN });
    clients.push(client);
    client.send({ type: 'health_check', payload: { request_id: 'h1' } });
    expect((await client.inbox.take('health_status')).payload).toEqual({
      request_id: 'h1',
      healthy: true,
      message: 'ok',
    });
    client.send({ type: 'list_sessions', payload: { request_id: 'l1' } });
    expect((await client.inbox.take('error')).payload).toMatchObject({
      request_id: 'l1',
      code: 'hello_required',
    });
  });

  it('refuses user ids outside the session id alphabet', async () => {
    const client = await RawSocket.open(env.wsUrl, { token: TOKEN });
    clients.push(client);
    client.send({ type: 'hello', payload: { request_id: 'u', protocol_version: 2, user_id: 'alice smith' } });
    expect((await client.inbox.take('error')).payload).toMatchObject({ code: 'invalid_user' });
  });
});

describe('sessions over the protocol', () => {
  it('creates (and switches to), lists and switches sessions', async () => {
    const { client, inbox, ack } = await hello({ user_id: 'carol' });
    const create = client.send('create_session', { display_name: 'Research', agent_name: 'writer' });
    const created = await inbox.take('session_created');
    expect(created.payload).toMatchObject({
      request_id: create,
      display_name: 'Research',
      agent_name: 'writer',
    });
    const newId = created.payload.session.session_id;
    // The connection now follows the new session.
    sendTurn(client, newId, 'draft');
    await inbox.take('turn_completed');
    expect(env.spawns.at(-1)).toMatchObject({ agentName: 'writer', sessionId: newId });

    client.send('list_sessions', { include_archived: false, include_subagent_sessions: false });
    const list = await inbox.take('session_list');
    expect(list.payload.sessions.map((s) => s.session_id).sort()).toEqual(
      [newId, ack.session.session_id].sort(),
    );
    const entry = list.payload.sessions.find((s) => s.session_id === newId);
    expect(entry).toMatchObject({
      agent_name: 'writer',
      display_name: 'Research',
      channel_origin: 'gateway',
      archived: false,
    });

    const switchId = client.send('switch_session', { session_id: ack.session.session_id });
    const switched = await inbox.take('session_switched');
    expect(switched.payload).toMatchObject({ request_id: switchId, session: ack.session });
    expect(switched.payload.active_turn).toBeUndefined();
  });

  it('refuses an unknown agent', async () => {
    const { client, inbox } = await hello();
    const create = client.send('create_session', { agent_name: 'ghost' });
    const error = await inbox.take('error');
    expect(error.payload).toMatchObject({ request_id: create, code: 'unknown_agent' });
    expect(error.payload.message).toContain('known: default, writer');
  });

  it('lists archived and sub-agent sessions only on request', async () => {
    const { client, inbox, ack } = await hello({ user_id: 'dave' });
    const archived = await (await ownerSessions(env.kernel)).create({ userId: 'dave' });
    await (await ownerSessions(env.kernel)).archive(archived.id);
    const child = await (await ownerSessions(env.kernel)).create({
      userId: 'dave',
      parentSessionId: ack.session.session_id,
    });
    const ids = async (payload: Record<string, boolean>) => {
      client.send('list_sessions', { include_archived: false, include_subagent_sessions: false, ...payload });
      return (await inbox.take('session_list')).payload.sessions.map((s) => s.session_id).sort();
    };
    expect(await ids({})).toEqual([ack.session.session_id]);
    expect(await ids({ include_archived: true })).toEqual([ack.session.session_id, archived.id].sort());
    expect(await ids({ include_subagent_sessions: true })).toEqual([ack.session.session_id, child.id].sort());
  });
});

describe('limits', () => {
  it('refuses a new session beyond max_sessions_per_user with an error frame', async () => {
    await env.cleanup();
    env = await startTestGateway({ limits: { maxSessionsPerUser: 2 } });
    const { client, inbox } = await hello({ user_id: 'erin', create_new_session: true });
    client.send('create_session', {});
    await inbox.take('session_created');
    const beyond = client.send('create_session', {});
    const error = await inbox.take('error');
    expect(error.payload).toMatchObject({ request_id: beyond, code: 'session_limit' });
    expect(error.payload.message).toContain('max_sessions_per_user = 2');
    // Another user has their own allowance.
    await hello({ user_id: 'frank', create_new_session: true });
  });

  it('keeps max_sessions_per_user when one user creates sessions at once (the store alone counts)', async () => {
    await env.cleanup();
    env = await startTestGateway({ limits: { maxSessionsPerUser: 3 } });
    const answers = await hellosAtOnce(8, { user_id: 'iris', create_new_session: true });
    const created = answers.filter((frame) => frame.type === 'hello_ack');
    const refused = answers.filter((frame) => frame.type === 'error');
    expect(created).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const frame of refused) {
      expect(frame.payload).toMatchObject({ code: 'session_limit' });
      expect(frame.payload.message).toBe(
        'user iris has 3 active sessions, the limit ([gateway] max_sessions_per_user = 3); resume one with switch_session, or raise the limit',
      );
    }
    expect(await (await ownerSessions(env.kernel)).count({ userId: 'iris' })).toBe(3);
  });

  it('gives every one of several hellos at once the default session, even when it fills the room', async () => {
    await env.cleanup();
    env = await startTestGateway({ limits: { maxSessionsPerUser: 1 } });
    const answers = await hellosAtOnce(6, { user_id: 'jude' });
    expect(
      answers.map((frame) => (frame.type === 'hello_ack' ? frame.payload.session.session_id : frame.type)),
    ).toEqual(Array(6).fill('runtime-jude'));
    expect(await (await ownerSessions(env.kernel)).count({ userId: 'jude' })).toBe(1);
  });

  it('runs at most max_concurrent_turns_per_user turns at once; the next waits its turn (FIFO)', async () => {
    await env.cleanup();
    const gates = new Map<string, Gate>();
    const runner = new ScriptedModel(async function* (call) {
      const gate = new Gate();
      gates.set(call.prompt, gate);
      yield* heldScript(gate)(call);
    });
    env = await startTestGateway({ model: runner, limits: { maxConcurrentTurnsPerUser: 1 } });
    const sessions = [];
    for (let i = 0; i < 3; i++) sessions.push(await hello({ user_id: 'gina', create_new_session: true }));
    sessions.forEach(({ client, ack }, i) => {
      sendTurn(client, ack.session.session_id, `p${i}`);
    });
    await sessions[0]!.inbox.take('turn_started');
    // turn_started can reach the client before the model call (the session's write commits on
    // the next tick), so wait for p0's call itself.
    await pollUntil(() => gates.has('p0'), "p0's model call");
    // The others are accepted but wait: no turn_started yet, and their prompts have not reached the runner.
    expect(runner.calls.map((r) => r.prompt)).toEqual(['p0']);
    expect(sessions[1]!.inbox.frames.some((f) => f.type === 'turn_started')).toBe(false);
    gates.get('p0')!.release();
    await sessions[1]!.inbox.take('turn_started');
    await pollUntil(() => gates.has('p1'), "p1's model call");
    expect(runner.calls.map((r) => r.prompt)).toEqual(['p0', 'p1']);
    gates.get('p1')!.release();
    await sessions[2]!.inbox.take('turn_started');
    (await pollUntil(() => gates.get('p2'), "p2's model call")).release();
    await sessions[2]!.inbox.take('turn_completed');
  });

  it('cancels a turn still waiting for a slot without ever starting it', async () => {
    await env.cleanup();
    const runner = new ScriptedModel(heldScript(new Gate()));
    env = await startTestGateway({ model: runner, limits: { maxConcurrentTurnsPerUser: 1 } });
    const first = await hello({ user_id: 'hal', create_new_session: true });
    const second = await hello({ user_id: 'hal', create_new_session: true });
    sendTurn(first.client, first.ack.session.session_id, 'runs');
    await first.inbox.take('turn_started');
    // turn_started can reach the client before the model call (the session's write commits on
    // the next tick; later still on PostgreSQL), so wait for the call itself.
    await pollUntil(() => runner.calls.length === 1, "the first turn's model call");
    const queuedId = second.ack.session.session_id;
    sendTurn(second.client, queuedId, 'queued', 'q');
    second.client.send('cancel_active_turn', { session_id: queuedId });
    expect((await second.inbox.take('turn_cancelled')).payload.turn.turn_id).toBe('q');
    expect(runner.calls.map((r) => r.prompt)).toEqual(['runs']);
  });
});
