/**
 * The protocol client against a scripted in-memory gateway end, for the behaviour a real hub
 * cannot be made to show: another protocol version, a silent hello, text that is no frame,
 * answers out of order or never, a gateway that stops answering health checks, a refusal
 * reconnecting cannot fix. The SSE parser of the live event feed is here too.
 */
import {
  GatewayClient,
  type GatewayClientOptions,
  GatewayConnectError,
  reconnectDelay,
  SseParser,
} from '@oxydra/gateway-client';
import { checkedCodec } from '@oxydra/gateway-client/checked';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedPeer } from './scripted-peer.js';

const FAST = { helloTimeoutMs: 2_000, healthIntervalMs: 60_000, backoff: { initialMs: 20, maxMs: 160 } };

let client: GatewayClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

function newClient(peer: ScriptedPeer, options: Partial<GatewayClientOptions> = {}): GatewayClient {
  client = new GatewayClient({
    url: 'ws://gateway.test/ws',
    openSocket: peer.open,
    codec: checkedCodec,
    random: () => 0.5,
    ...FAST,
    ...options,
  });
  return client;
}

describe('gateway client: the handshake', () => {
  it('loses no frame sent right behind hello_ack', async () => {
    const peer = new ScriptedPeer();
    const events: string[] = [];
    const c = newClient(peer);
    c.subscribe((e) => events.push(e.kind === 'frame' ? e.frame.type : e.kind));
    peer.greeting = [{ type: 'scheduled_notification', payload: { schedule_id: 's1', message: 'first' } }];
    await c.connect();
    await pollUntil(() => events.includes('scheduled_notification'), 'the frame behind hello_ack');
    expect(events).toEqual(['connection', 'hello', 'connection', 'scheduled_notification']);
  });

  it('lets a hello listener send at once', async () => {
    const peer = new ScriptedPeer();
    const c = newClient(peer);
    c.subscribe((e) => {
      if (e.kind === 'hello')
        c.send('list_sessions', { include_archived: false, include_subagent_sessions: false });
    });
    await c.connect();
    expect(peer.framesOf('list_sessions')).toHaveLength(1);
  });

  it('says hello with a new session, or the default one for a client that asks for it', async () => {
    const tui = new ScriptedPeer();
    await newClient(tui, { userId: 'alice' }).connect();
    expect(tui.framesOf('hello')[0]?.payload).toMatchObject({
      protocol_version: 2,
      user_id: 'alice',
      create_new_session: true,
      capabilities: ['approvals'],
    });
    await client!.close();
    const web = new ScriptedPeer();
    await newClient(web, { newSession: false }).connect();
    expect(web.framesOf('hello')[0]?.payload).toMatchObject({ create_new_session: false });
    expect(web.framesOf('hello')[0]?.payload.session_id).toBeUndefined();
  });

  it('gives up on a gateway that never answers hello', async () => {
    const peer = new ScriptedPeer();
    peer.onHello = () => undefined;
    const error = await newClient(peer, { helloTimeoutMs: 100 })
      .connect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayConnectError);
    expect(error).toMatchObject({ kind: 'timeout', message: expect.stringContaining('within 0.1 s') });
    expect(client!.connection).toEqual({ state: 'closed' });
  });

  it('refuses a gateway of another protocol version, naming both', async () => {
    const peer = new ScriptedPeer();
    const hello = peer.onHello;
    peer.onHello = (frame) => {
      const ack = hello(frame)!;
      return { ...ack, payload: { ...ack.payload, protocol_version: 1 } } as typeof ack;
    };
    const error = await newClient(peer, { clientName: 'oxydra tui' })
      .connect()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'protocol',
      message: expect.stringContaining('protocol version 1; this oxydra tui speaks 2'),
    });
  });
});

describe('gateway client: requests', () => {
  it('matches answers to requests by request_id, whatever their order', async () => {
    const peer = new ScriptedPeer();
    const c = newClient(peer);
    await c.connect();
    const listed = c.request('list_sessions', { include_archived: false, include_subagent_sessions: false });
    const created = c.request('create_session', { display_name: 'alpha' });
    const [list, create] = [peer.framesOf('list_sessions')[0]!, peer.framesOf('create_session')[0]!];
    const session = { user_id: 'default', session_id: 'new-1' };
    peer.send({
      type: 'session_created',
      payload: {
        request_id: create.payload.request_id,
        session,
        display_name: 'alpha',
        agent_name: 'default',
      },
    });
    peer.send({ type: 'session_list', payload: { request_id: list.payload.request_id, sessions: [] } });
    await expect(created).resolves.toMatchObject({ display_name: 'alpha' });
    await expect(listed).resolves.toMatchObject({ sessions: [] });
    expect(c.session).toEqual(session);
  });

  it('times out a request that gets no answer', async () => {
    const peer = new ScriptedPeer();
    peer.answerHealthChecks = false;
    await newClient(peer).connect();
    const error = await client!.request('health_check', {}, 50).catch((e: unknown) => e);
    expect(error).toMatchObject({
      fromServer: false,
      message: 'the gateway did not answer health_check within 0.05 s',
    });
  });

  it('rejects requests in flight when the connection drops', async () => {
    const peer = new ScriptedPeer();
    peer.answerHealthChecks = false;
    await newClient(peer).connect();
    const pending = client!.request('health_check', {});
    peer.closeWith(1006);
    await expect(pending).rejects.toMatchObject({ message: 'the connection to the gateway was lost' });
  });
});

describe('gateway client: malformed frames', () => {
  it('ignores text that is not a protocol v2 frame, reports each, and keeps working', async () => {
    const peer = new ScriptedPeer();
    const c = newClient(peer);
    await c.connect();
    const problems: string[] = [];
    c.subscribe((e) => e.kind === 'malformed' && problems.push(e.problem));
    peer.sendText('this is not json');
    peer.sendText(JSON.stringify({ type: 'assistant_delta', payload: { delta: 'x' } }));
    peer.sendText(JSON.stringify({ type: 'no_such_frame', payload: {} }));
    expect(problems[0]).toBe('not JSON: this is not json');
    expect(problems[1]).toMatch(
      /^a "assistant_delta" frame that does not match protocol v2 at payload.request_id: /,
    );
    expect(problems[2]).toMatch(/^a "no_such_frame" frame that does not match protocol v2 at type/);
    expect(c.connection.state).toBe('connected');
    await expect(c.request('health_check', {})).resolves.toMatchObject({ healthy: true });
  });
});

describe('gateway client: health checks and reconnecting', () => {
  it('backs off from 250 ms to 5 s with jitter', () => {
    const policy = { initialMs: 250, maxMs: 5_000 };
    const middle = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => reconnectDelay(attempt, policy, () => 0.5));
    expect(middle).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect(reconnectDelay(1, policy, () => 0)).toBe(200);
    expect(reconnectDelay(1, policy, () => 0.999)).toBe(300);
    expect(reconnectDelay(5, policy, () => 0.999)).toBe(4_798);
  });

  it('checks health on an interval, and drops and reconnects when the gateway stops answering', async () => {
    const peer = new ScriptedPeer();
    const c = newClient(peer, { healthIntervalMs: 20, helloTimeoutMs: 100 });
    const reasons: string[] = [];
    c.subscribe(
      (e) =>
        e.kind === 'connection' && e.connection.state === 'reconnecting' && reasons.push(e.connection.reason),
    );
    const ack = await c.connect();
    await pollUntil(() => peer.framesOf('health_check').length >= 3, 'three health checks');
    peer.answerHealthChecks = false;
    await pollUntil(() => reasons.length > 0, 'the client to give up on the silent connection');
    expect(reasons[0]).toBe('the gateway stopped answering health checks');
    peer.answerHealthChecks = true;
    await pollUntil(() => peer.opened === 2 && c.connection.state === 'connected', 'the reconnection');
    expect(peer.framesOf('hello')[1]?.payload).toMatchObject({
      session_id: ack.session.session_id,
      create_new_session: false,
    });
  });

  it('start() retries a first connection that failed, and forgets a resumed session that is gone', async () => {
    const peer = new ScriptedPeer();
    const hello = peer.onHello;
    peer.onHello = (frame) =>
      frame.payload.session_id === 'gone'
        ? {
            type: 'error',
            payload: {
              request_id: frame.payload.request_id,
              code: 'session_not_found',
              message: 'session gone not found',
            },
          }
        : hello(frame);
    const c = newClient(peer, { sessionId: 'gone', newSession: false });
    c.start();
    await pollUntil(() => c.connection.state === 'connected', 'the connection without the lost session');
    expect(peer.framesOf('hello').map((frame) => frame.payload.session_id)).toEqual(['gone', undefined]);
  });

  it('start() stops for good on a refusal another attempt would repeat, and on a policy close', async () => {
    const refusing = new ScriptedPeer();
    refusing.onHello = (frame) => ({
      type: 'error',
      payload: { request_id: frame.payload.request_id, code: 'invalid_user', message: 'bad user' },
    });
    const c = newClient(refusing);
    c.start();
    await pollUntil(() => c.connection.state === 'closed', 'the refusal');
    expect(c.connection).toEqual({ state: 'closed', reason: 'the gateway refused hello: bad user' });
    expect(refusing.opened).toBe(1);
    await c.close();

    const limiting = new ScriptedPeer();
    const d = newClient(limiting);
    await d.connect();
    limiting.closeWith(1008, 'rate limit exceeded');
    expect(d.connection).toEqual({
      state: 'closed',
      reason: 'connection lost (code 1008: rate limit exceeded)',
      code: 1008,
    });
  });
});

describe('the live event feed', () => {
  it('parses SSE blocks across chunks, skipping comments, JSON or text data', () => {
    const parser = new SseParser();
    expect(parser.push(': keep-alive\n\nevent: agent_spawned\ndata: {"a":')).toEqual([]);
    expect(parser.push('1}\n\ndata: plain\r\n\r\n')).toEqual([
      { event: 'agent_spawned', data: { a: 1 } },
      { event: 'message', data: 'plain' },
    ]);
  });
});
