/**
 * The TUI's gateway client (@oxydra/gateway-client over `ws`, frames checked) against a real
 * gateway on a real kernel, through a TCP link that can drop the connection or play a gateway
 * that went down and came back: handshake, token, a new or a named session, errors the gateway
 * sends, a streamed turn, reconnecting and resuming mid-turn. What a real hub never does
 * (malformed frames, a silent hello...) is tested in packages/gateway-client/test.
 */

import {
  Gate,
  heldScript,
  ownerSessions,
  type Script,
  startTestGateway,
  type TestGateway,
} from '@oxydra/gateway/testing/helpers';
import { type ClientEvent, type GatewayClient, GatewayConnectError } from '@oxydra/gateway-client';
import { freePort, pollUntil, TcpLink } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { newTuiClient, type TuiClientOptions } from '../src/index.js';
import { framesOf, record, TOKEN } from './helpers.js';

const FAST = { helloTimeoutMs: 2_000, healthIntervalMs: 60_000, backoff: { initialMs: 20, maxMs: 160 } };

let env: TestGateway | undefined;
let link: TcpLink | undefined;
let client: GatewayClient | undefined;
afterEach(async () => {
  await client?.close();
  await link?.stop();
  await env?.cleanup();
  client = undefined;
  link = undefined;
  env = undefined;
});

/** A real gateway and a client of it (through a TCP link when `linked`), not yet connected. */
async function setup(options: Partial<TuiClientOptions> & { script?: Script; linked?: boolean } = {}) {
  const { script, linked, ...more } = options;
  // Through the link the Host header names the link's port: the gateway is told 127.0.0.1 is its name.
  env = await startTestGateway(linked ? { config: { gateway: { public_hosts: ['127.0.0.1'] } } } : {});
  if (script) env.model.script = script;
  if (linked) link = await TcpLink.start({ port: env.gateway.port });
  const url = link ? `ws://127.0.0.1:${link.port}/ws` : env.wsUrl;
  client = newTuiClient({ url, token: TOKEN, random: () => 0.5, ...FAST, ...more });
  return client;
}

describe('gateway client: connecting', () => {
  it('sends the bearer token and a v2 hello, and gets a new session of the user', async () => {
    const ack = await (await setup({ userId: 'alice' })).connect();
    expect(ack.session.user_id).toBe('alice');
    expect(ack.session.session_id).not.toBe('runtime-alice'); // a new one, not the default
    expect(client!.session).toEqual(ack.session);
    expect(client!.connection).toEqual({ state: 'connected' });
    expect(await (await ownerSessions(env!.kernel)).get(ack.session.session_id)).toMatchObject({
      userId: 'alice',
    });
  });

  it('joins an existing session named with sessionId', async () => {
    const first = await (await setup()).connect();
    await client!.close();
    client = newTuiClient({ url: env!.wsUrl, token: TOKEN, ...FAST, sessionId: first.session.session_id });
    const ack = await client.connect();
    expect(ack.session.session_id).toBe(first.session.session_id);
  });

  it('reports a refused token as unauthorized, without the token in the message', async () => {
    await setup({ token: 'wrong-token-123' });
    const error = await client!.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayConnectError);
    expect(error).toMatchObject({ kind: 'unauthorized' });
    expect((error as Error).message).toContain('refused the token (HTTP 401)');
    expect((error as Error).message).not.toContain('wrong-token-123');
  });

  it('says there is no gateway when nothing listens', async () => {
    const url = `ws://127.0.0.1:${await freePort()}/ws`;
    client = newTuiClient({ url, token: TOKEN, ...FAST });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'unreachable',
      message: `no gateway at ${url}; start one with \`oxydra gateway\``,
    });
    expect(client.connection).toEqual({ state: 'closed' });
  });

  it('reports the gateway refusing hello (an unknown session)', async () => {
    const error = await (await setup({ sessionId: 'no-such-session' })).connect().catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'rejected',
      message: expect.stringMatching(/^the gateway refused hello: session no-such-session not found/),
    });
  });
});

describe('gateway client: requests and turns', () => {
  it('rejects a request the gateway answers with an error frame, marked as shown', async () => {
    await (await setup()).connect();
    const error = await client!.request('switch_session', { session_id: 'nope' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'GatewayRequestError', fromServer: true, code: 'session_not_found' });
  });

  it('streams a turn as frames carrying the send_turn request_id', async () => {
    await (await setup()).connect();
    const events = record(client!);
    const requestId = client!.send('send_turn', {
      session_id: client!.session!.session_id,
      turn_id: client!.newTurnId(),
      prompt: 'hello',
    });
    await pollUntil(() => framesOf(events, 'turn_completed').length === 1, 'turn_completed');
    const types = events.flatMap((e) => (e.kind === 'frame' ? [e.frame.type] : []));
    // echo: "echo:" and " hello", after the model call's progress line.
    expect(types).toEqual([
      'turn_started',
      'turn_progress',
      'assistant_delta',
      'assistant_delta',
      'turn_completed',
    ]);
    for (const e of events)
      if (e.kind === 'frame') expect(e.frame.payload).toMatchObject({ request_id: requestId });
    expect(events.some((e) => e.kind === 'malformed')).toBe(false);
  });
});

describe('gateway client: reconnecting', () => {
  it('reconnects after a drop and resumes the session, mid-turn', async () => {
    const gate = new Gate();
    const ack = await (await setup({ script: heldScript(gate), linked: true })).connect();
    const events = record(client!);
    client!.send('send_turn', { session_id: ack.session.session_id, turn_id: 'turn-1', prompt: 'go' });
    await pollUntil(() => framesOf(events, 'assistant_delta').length === 1, 'the first delta');

    link!.cut();
    await pollUntil(() => events.some((e) => e.kind === 'hello' && e.resumed), 'the resumed hello');
    const reconnecting = events.find(
      (e): e is Extract<ClientEvent, { kind: 'connection' }> =>
        e.kind === 'connection' && e.connection.state === 'reconnecting',
    );
    expect(reconnecting?.connection).toMatchObject({ attempt: 1, delayMs: 20 });
    expect(reconnecting?.connection).toHaveProperty('reason', expect.stringContaining('connection lost'));
    const resumed = events.find((e) => e.kind === 'hello');
    expect(resumed).toMatchObject({
      ack: { session: ack.session, active_turn: { turn_id: 'turn-1', state: 'running' } },
    });

    gate.release();
    await pollUntil(
      () => framesOf(events, 'turn_completed').length === 1,
      'the turn to complete after resume',
    );
    expect(client!.connection.state).toBe('connected');
  });

  it('keeps retrying with growing delays while the gateway is down, then comes back', async () => {
    const ack = await (await setup({ linked: true })).connect();
    const events = record(client!);
    await link!.stop();
    const reconnecting = () =>
      events.flatMap((e) =>
        e.kind === 'connection' && e.connection.state === 'reconnecting' ? [e.connection] : [],
      );
    await pollUntil(() => reconnecting().length >= 4, 'four reconnect attempts');
    expect(
      reconnecting()
        .slice(0, 4)
        .map((c) => c.delayMs),
    ).toEqual([20, 40, 80, 160]);
    expect(reconnecting()[1]?.reason).toContain('no gateway at');

    await link!.restart();
    await pollUntil(() => client!.connection.state === 'connected', 'the reconnection');
    expect(client!.session?.session_id).toBe(ack.session.session_id);
    await expect(client!.request('health_check', {})).resolves.toMatchObject({ healthy: true });
  });

  it('does not reconnect after close()', async () => {
    await (await setup({ linked: true })).connect();
    await client!.close();
    expect(client!.connection).toEqual({ state: 'closed' });
    await pollUntil(() => link!.connections === 0, 'the link to see the close');
    await pollUntil(() => env!.gateway.clientCount() === 0, 'the gateway to see the close');
    expect(() => client!.send('health_check', {})).toThrow('not connected to the gateway');
    expect(link!.connections).toBe(0);
  });
});
