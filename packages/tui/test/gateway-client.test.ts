/**
 * The gateway client against a real WebSocket server (the protocol-speaking stub): handshake,
 * token, request/response matching, reconnect with backoff and session resume, health checks,
 * malformed frames.
 */
import { createServer } from 'node:net';
import { MockGateway } from '@oxydra/testkit';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientEvent, GatewayClient, GatewayConnectError, reconnectDelay } from '../src/index.js';
import { framesOf, record, TOKEN } from './helpers.js';

const FAST = { helloTimeoutMs: 2_000, healthIntervalMs: 60_000, backoff: { initialMs: 20, maxMs: 160 } };

let stub: MockGateway | undefined;
let client: GatewayClient | undefined;
afterEach(async () => {
  await client?.close();
  await stub?.close();
  client = undefined;
  stub = undefined;
});

function newClient(options: Partial<ConstructorParameters<typeof GatewayClient>[0]> = {}): GatewayClient {
  client = new GatewayClient({ url: stub!.url, token: TOKEN, random: () => 0.5, ...FAST, ...options });
  return client;
}

/** A port nothing listens on: bound, read, released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('gateway client: connecting', () => {
  it('sends the bearer token and a v2 hello, and gets a new session', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    const ack = await newClient({ userId: 'alice' }).connect();
    expect(ack.session.user_id).toBe('alice');
    expect(client!.session).toEqual(ack.session);
    expect(client!.connection).toEqual({ state: 'connected' });
    const [hello] = stub.framesOf('hello');
    expect(hello?.payload).toMatchObject({ protocol_version: 2, user_id: 'alice', create_new_session: true });
    expect(hello?.payload.session_id).toBeUndefined();
    expect(stub.invalid).toEqual([]);
  });

  it('loses no frame sent right behind hello_ack', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    stub.greeting = [
      { type: 'scheduled_notification', payload: { schedule_id: 's1', message: 'first' } },
      { type: 'scheduled_notification', payload: { schedule_id: 's2', message: 'second' } },
    ];
    const events = record(newClient());
    await client!.connect();
    await pollUntil(() => framesOf(events, 'scheduled_notification').length === 2, 'both frames');
    expect(events.map((e) => e.kind)).toEqual(['connection', 'hello', 'connection', 'frame', 'frame']);
  });

  it('joins an existing session named with sessionId', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    const first = await newClient().connect();
    await client!.close();
    const ack = await newClient({ sessionId: first.session.session_id }).connect();
    expect(ack.session.session_id).toBe(first.session.session_id);
    expect(stub.framesOf('hello')[1]?.payload).toMatchObject({
      session_id: first.session.session_id,
      create_new_session: false,
    });
  });

  it('reports a refused token as unauthorized, without the token in the message', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    const error = await newClient({ token: 'wrong-token-123' })
      .connect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayConnectError);
    expect(error).toMatchObject({ kind: 'unauthorized' });
    expect((error as Error).message).toContain('refused the token (HTTP 401)');
    expect((error as Error).message).not.toContain('wrong-token-123');
    expect(stub.refusedUpgrades).toBe(1);
  });

  it('says there is no gateway when nothing listens', async () => {
    const url = `ws://127.0.0.1:${await freePort()}/ws`;
    client = new GatewayClient({ url, token: TOKEN, ...FAST });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'unreachable',
      message: `no gateway at ${url}; start one with \`oxydra gateway\``,
    });
    expect(client.connection).toEqual({ state: 'closed' });
  });

  it('gives up on a gateway that never answers hello', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    stub.answerHello = false;
    const error = await newClient({ helloTimeoutMs: 150 })
      .connect()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'timeout',
      message: expect.stringContaining('did not answer hello within 0.15 s'),
    });
  });

  it('refuses a gateway of another protocol version', async () => {
    stub = await MockGateway.start({ token: TOKEN, protocolVersion: 1 });
    const error = await newClient()
      .connect()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'protocol', message: expect.stringContaining('protocol version 1') });
  });

  it('reports the gateway refusing hello (an unknown session)', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    const error = await newClient({ sessionId: 'no-such-session' })
      .connect()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'rejected',
      message: 'the gateway refused hello: no session no-such-session',
    });
  });
});

describe('gateway client: requests', () => {
  it('matches answers to requests by request_id, whatever their order', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    await newClient().connect();
    stub.deferAnswers = true;
    const created = client!.request('create_session', { display_name: 'alpha' });
    const listed = client!.request('list_sessions', {
      include_archived: false,
      include_subagent_sessions: false,
    });
    const health = client!.request('health_check', {});
    await pollUntil(() => stub!.received.length === 4, 'three requests at the stub');
    stub.flushAnswers(true); // health first, then the list, then the new session
    const [session, list, status] = await Promise.all([created, listed, health]);
    expect(session.display_name).toBe('alpha');
    expect(status.healthy).toBe(true);
    // Requests were handled in order (the list includes the new session); only the answers were reordered.
    expect(list.sessions).toHaveLength(2);
    expect(client!.session?.session_id).toBe(session.session.session_id);
  });

  it('rejects a request the gateway answers with an error frame, marked as shown', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    await newClient().connect();
    const error = await client!.request('switch_session', { session_id: 'nope' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'GatewayRequestError', fromServer: true, code: 'unknown_session' });
  });

  it('times out a request that gets no answer', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    await newClient().connect();
    stub.answerHealthChecks = false;
    const error = await client!.request('health_check', {}, 100).catch((e: unknown) => e);
    expect(error).toMatchObject({
      fromServer: false,
      message: 'the gateway did not answer health_check within 0.1 s',
    });
  });

  it('streams a turn as frames carrying the send_turn request_id', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    await newClient().connect();
    const events = record(client!);
    const turnId = client!.newTurnId();
    const requestId = client!.send('send_turn', {
      session_id: client!.session!.session_id,
      turn_id: turnId,
      prompt: 'hello',
    });
    await pollUntil(() => framesOf(events, 'turn_completed').length === 1, 'turn_completed');
    const types = events.flatMap((e) => (e.kind === 'frame' ? [e.frame.type] : []));
    expect(types).toEqual([
      'turn_started',
      'assistant_delta',
      'assistant_delta',
      'assistant_delta',
      'turn_completed',
    ]);
    for (const e of events)
      if (e.kind === 'frame') expect(e.frame.payload).toMatchObject({ request_id: requestId });
    expect(stub.invalid).toEqual([]);
  });
});

describe('gateway client: malformed frames', () => {
  it('ignores frames that are not protocol v2, reports each, and keeps working', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    await newClient().connect();
    const events = record(client!);
    stub.sendRaw('this is not json');
    stub.sendRaw(JSON.stringify({ type: 'assistant_delta', payload: { delta: 'x' } }));
    stub.sendRaw(JSON.stringify({ type: 'no_such_frame', payload: {} }));
    await pollUntil(
      () => events.filter((e) => e.kind === 'malformed').length === 3,
      'three malformed reports',
    );
    const problems = events.flatMap((e) => (e.kind === 'malformed' ? [e.problem] : []));
    expect(problems[0]).toBe('not JSON: this is not json');
    expect(problems[1]).toMatch(
      /^a "assistant_delta" frame that does not match protocol v2 at payload.request_id: /,
    );
    expect(problems[2]).toMatch(/^a "no_such_frame" frame that does not match protocol v2 at type/);
    expect(client!.connection.state).toBe('connected');
    await expect(client!.request('health_check', {})).resolves.toMatchObject({ healthy: true });
  });
});

describe('gateway client: reconnecting', () => {
  it('backs off from 250 ms to 5 s with jitter', () => {
    const policy = { initialMs: 250, maxMs: 5_000 };
    const middle = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => reconnectDelay(attempt, policy, () => 0.5));
    expect(middle).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect(reconnectDelay(1, policy, () => 0)).toBe(200);
    expect(reconnectDelay(1, policy, () => 0.999)).toBe(300);
    expect(reconnectDelay(5, policy, () => 0.999)).toBe(4_798);
  });

  it('reconnects after a drop and resumes the session, mid-turn', async () => {
    stub = await MockGateway.start({
      token: TOKEN,
      script: () => [{ delta: 'first half, ' }, { hold: true }, { delta: 'second half' }],
    });
    const ack = await newClient().connect();
    const events = record(client!);
    client!.send('send_turn', { session_id: ack.session.session_id, turn_id: 'turn-1', prompt: 'go' });
    await pollUntil(() => framesOf(events, 'assistant_delta').length === 1, 'the first delta');

    stub.dropConnections();
    await pollUntil(() => events.some((e) => e.kind === 'hello' && e.resumed), 'the resumed hello');
    const reconnecting = events.find(
      (e): e is Extract<ClientEvent, { kind: 'connection' }> =>
        e.kind === 'connection' && e.connection.state === 'reconnecting',
    );
    expect(reconnecting?.connection).toMatchObject({ attempt: 1, delayMs: 20 });
    expect(reconnecting?.connection).toHaveProperty('reason', expect.stringContaining('connection lost'));
    const resumeHello = stub.framesOf('hello')[1]!;
    expect(resumeHello.payload).toMatchObject({
      session_id: ack.session.session_id,
      create_new_session: false,
    });
    const resumed = events.find((e) => e.kind === 'hello');
    expect(resumed).toMatchObject({ ack: { active_turn: { turn_id: 'turn-1', state: 'running' } } });

    stub.release();
    await pollUntil(
      () => framesOf(events, 'turn_completed').length === 1,
      'the turn to complete after resume',
    );
    expect(framesOf(events, 'assistant_delta')).toHaveLength(2);
    expect(client!.connection.state).toBe('connected');
  });

  it('keeps retrying with growing delays while the gateway is down, then comes back', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    const ack = await newClient().connect();
    const events = record(client!);
    await stub.stop();
    await pollUntil(
      () =>
        events.filter((e) => e.kind === 'connection' && e.connection.state === 'reconnecting').length >= 4,
      'four reconnect attempts',
    );
    const delays = events.flatMap((e) =>
      e.kind === 'connection' && e.connection.state === 'reconnecting' ? [e.connection.delayMs] : [],
    );
    expect(delays.slice(0, 4)).toEqual([20, 40, 80, 160]);
    const later = events.filter((e) => e.kind === 'connection' && e.connection.state === 'reconnecting')[1];
    expect(later).toMatchObject({ connection: { reason: expect.stringContaining('no gateway at') } });

    await stub.restart();
    await pollUntil(() => client!.connection.state === 'connected', 'the reconnection');
    expect(client!.session?.session_id).toBe(ack.session.session_id);
    await expect(client!.request('health_check', {})).resolves.toMatchObject({ healthy: true });
  });

  it('rejects requests in flight when the connection drops', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    await newClient().connect();
    stub.answerHealthChecks = false;
    const pending = client!.request('health_check', {});
    await pollUntil(() => stub!.framesOf('health_check').length === 1, 'the health check at the stub');
    stub.dropConnections();
    await expect(pending).rejects.toMatchObject({ message: 'the connection to the gateway was lost' });
  });

  it('does not reconnect after close()', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    await newClient().connect();
    await client!.close();
    expect(client!.connection).toEqual({ state: 'closed' });
    await pollUntil(() => stub!.connectionCount === 0, 'the stub to see the close');
    expect(stub.framesOf('hello')).toHaveLength(1);
    expect(() => client!.send('health_check', {})).toThrow('not connected to the gateway');
  });
});

describe('gateway client: health checks', () => {
  it('checks health on an interval', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    await newClient({ healthIntervalMs: 30 }).connect();
    await pollUntil(() => stub!.framesOf('health_check').length >= 3, 'three health checks');
    expect(client!.connection.state).toBe('connected');
  });

  it('drops and reconnects when the gateway stops answering them', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    await newClient({ healthIntervalMs: 30, helloTimeoutMs: 150 }).connect();
    const events = record(client!);
    stub.answerHealthChecks = false;
    await pollUntil(
      () =>
        events.some(
          (e) =>
            e.kind === 'connection' &&
            e.connection.state === 'reconnecting' &&
            e.connection.reason === 'the gateway stopped answering health checks',
        ),
      'the client to give up on the silent connection',
    );
    stub.answerHealthChecks = true;
    await pollUntil(() => events.some((e) => e.kind === 'hello' && e.resumed), 'the reconnection');
  });
});
