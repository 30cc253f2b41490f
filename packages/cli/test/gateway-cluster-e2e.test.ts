/**
 * Several `oxydra gateway` processes on one PostgreSQL schema (issue 33 item 3), as real child
 * processes with real WebSocket clients: a turn running on one process is seen, refused a
 * second turn, and cancelled from another; the session's next turn runs on the other process
 * with the first one's history; a process SIGKILLed mid-turn has its turn reported interrupted
 * on the survivor within seconds, and the session goes on there; the per-user limit holds
 * across processes, for every door (a user's turns on one process refuse that user's A2A task
 * on another); the live feed of one process shows agents running on another.
 */

import { type Hello, type HelloClient, helloClient } from '@oxydra/gateway/testing/hello-client';
import type { FrameInbox, GatewayClient } from '@oxydra/gateway-client';
import { openPostgresStores, PostgresEventBus } from '@oxydra/store-postgres';
import {
  describePostgres,
  dropSchema,
  freshSchema,
  POSTGRES_URL,
} from '@oxydra/store-postgres/testing/postgres-helpers';
import { pollUntil } from '@oxydra/testkit/helpers';
import { expect, it, type TestContext, vi } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { CLUSTER_STEPS, sendTurn } from './cluster-steps.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';

// Each test starts two or three gateway processes and streams turns of 3-12 s through them: on CI's
// two cores, shared with the package step's installs, that outgrows the 30 s default (stop 49's
// run here timed out all five at load 20). A bound, not a timing assertion.
vi.setConfig({ testTimeout: 90_000 });

/** A workspace on a fresh schema, its gateway processes, and the token their clients send. */
interface Deployment {
  env: AgentEnv;
  schema: string;
  daemons: GatewayDaemon[];
  token: string;
  /** A WebSocket client of `daemon` after its hello (closed with the deployment). */
  hello(daemon: GatewayDaemon, payload: Hello): Promise<HelloClient>;
}

/**
 * A workspace on a fresh schema and `count` gateway processes serving it, all gone when the test
 * ends (its clients closed, its processes killed, its schema dropped): each test has its own, so
 * the tests run side by side (it.concurrent), most of their time waiting on streamed turns.
 */
async function deployment(
  onTestFinished: TestContext['onTestFinished'],
  count: number,
  gatewayToml = '',
): Promise<Deployment> {
  const schema = freshSchema();
  const daemons: GatewayDaemon[] = [];
  const clients: GatewayClient[] = [];
  let env: AgentEnv | undefined;
  onTestFinished(async () => {
    for (const client of clients) client.close();
    for (const daemon of daemons) daemon.kill('SIGKILL');
    await Promise.all(daemons.map((daemon) => daemon.exited));
    await env?.close();
    await dropSchema(schema);
  });
  env = await AgentEnv.start(
    E2E_APIS[0]!,
    CLUSTER_STEPS,
    `[store]\nbackend = "postgres"\nschema = "${schema}"\n${gatewayToml}`,
  );
  env.sandbox.env.OXYDRA_STORE_URL = POSTGRES_URL;
  // One after another: the first generates the token file the others read.
  for (let i = 0; i < count; i++) daemons.push(await GatewayDaemon.start(env));
  const token = generatedToken(env);
  return {
    env,
    schema,
    daemons,
    token,
    async hello(daemon, payload) {
      const opened = await helloClient(daemon.wsUrl, payload, token);
      clients.push(opened.client);
      return opened;
    },
  };
}

/** The frames' types each session message on the deployment's bus carries, in order (a LISTEN of the test's own). */
async function busFrames(schema: string): Promise<{ types: string[]; close(): Promise<void> }> {
  const bus = await PostgresEventBus.open({
    url: POSTGRES_URL,
    schema,
    processId: 'frame-counter',
    heartbeatMs: 0,
  });
  const types: string[] = [];
  bus.subscribe('session', (data) => {
    const message = JSON.parse(data) as { frame: string };
    types.push((JSON.parse(message.frame) as { type: string }).type);
  });
  return { types, close: () => bus.close() };
}

async function readyz(daemon: GatewayDaemon): Promise<{
  cluster: { session_frames: { published: number; withheld: number }; watching: number };
}> {
  const response = await fetch(`${daemon.url}/readyz`, { headers: { host: new URL(daemon.url).host } });
  expect(response.status).toBe(200);
  return response.json() as never;
}

/** An A2A task sent with message/send (the 0.3 JSON-RPC shape): its state and status text. */
async function a2aTask(daemon: GatewayDaemon, token: string, text: string) {
  const response = await fetch(`${daemon.url}/a2a`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'message/send',
      params: {
        message: {
          kind: 'message',
          messageId: crypto.randomUUID(),
          role: 'user',
          parts: [{ kind: 'text', text }],
        },
      },
    }),
  });
  expect(response.status).toBe(200);
  const { result } = (await response.json()) as {
    result: { status: { state: string; message?: { parts: Array<{ text?: string }> } } };
  };
  return {
    state: result.status.state,
    text: result.status.message?.parts.map((part) => part.text).join('') ?? '',
  };
}

describePostgres('several gateway processes on one PostgreSQL store', () => {
  it.concurrent("a turn on one process is seen, refused a twin and cancelled from another; the next turn runs there with the first's history", async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished, 2);
    const [a, b] = deployed.daemons as [GatewayDaemon, GatewayDaemon];
    const first = await deployed.hello(a, { create_new_session: true, capabilities: ['approvals'] });
    const sessionId = first.ack.session.session_id;
    const second = await deployed.hello(b, { session_id: sessionId });

    sendTurn(first.client, sessionId, 't1', 'Say hello');
    // The frames of A's turn reach B's client too.
    await second.inbox.take('turn_started', (f) => f.payload.turn.turn_id === 't1', 15_000);
    const seen = await second.inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't1', 15_000);
    expect(seen.payload.response.message).toBe('Answered.');
    await first.inbox.take('turn_completed', () => true, 15_000);

    // A slow turn on A: B sees it running, refuses a second turn, and cancels it.
    sendTurn(first.client, sessionId, 't2', 'slow please');
    await second.inbox.take('assistant_delta', (f) => f.payload.turn.turn_id === 't2', 15_000);
    sendTurn(second.client, sessionId, 't2b', 'another');
    const refused = await second.inbox.take('error', (f) => f.payload.code === 'turn_active', 15_000);
    expect(refused.payload.message).toContain('t2');
    second.client.send('cancel_active_turn', { session_id: sessionId });
    await first.inbox.take('turn_cancelled', (f) => f.payload.turn.turn_id === 't2', 15_000);
    await second.inbox.take('turn_cancelled', (f) => f.payload.turn.turn_id === 't2', 15_000);

    // The next turn from B runs on B, with the history A stored.
    const before = deployed.env.mock.requests.length;
    sendTurn(second.client, sessionId, 't3', 'And now from the other process');
    await second.inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't3', 15_000);
    await first.inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't3', 15_000);
    const request = JSON.stringify(deployed.env.mock.requests[before]?.body);
    expect(request).toContain('Say hello');
    expect(request).toContain('Answered.');
  });

  it.concurrent('a turn nobody watches elsewhere puts only its start and end on the bus; a client attaching on another process mid-turn gets every frame after its hello_ack', async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished, 2);
    const [a, b] = deployed.daemons as [GatewayDaemon, GatewayDaemon];
    const bus = await busFrames(deployed.schema);
    try {
      const first = await deployed.hello(a, { create_new_session: true });
      const sessionId = first.ack.session.session_id;
      const deltas = (inbox: FrameInbox, turnId: string) =>
        inbox.frames
          .filter((f) => f.type === 'assistant_delta' && f.payload.turn.turn_id === turnId)
          .map((f) => (f.type === 'assistant_delta' ? f.payload.delta : ''));

      // Ten deltas, and no client of the session on B: two session messages on the bus.
      sendTurn(first.client, sessionId, 't1', 'slow and alone');
      await first.inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't1', 15_000);
      await pollUntil(() => bus.types.includes('turn_completed'), 'the end of t1 on the bus');
      expect(deltas(first.inbox, 't1').length).toBeGreaterThanOrEqual(10);
      expect(bus.types).toEqual(['turn_started', 'turn_completed']);
      const alone = (await readyz(a)).cluster.session_frames;
      expect(alone.published).toBe(2);
      expect(alone.withheld).toBeGreaterThanOrEqual(10);

      // A client attaches on B while t2 streams on A: from its hello_ack on, it misses nothing.
      sendTurn(first.client, sessionId, 't2', 'slow and watched');
      await first.inbox.take('assistant_delta', (f) => f.payload.turn.turn_id === 't2', 15_000);
      const second = await deployed.hello(b, { session_id: sessionId });
      const seenOnAAtAck = deltas(first.inbox, 't2').length;
      expect(second.ack.active_turn).toEqual({ turn_id: 't2', state: 'running' });
      expect((await readyz(b)).cluster.watching).toBe(1);
      await first.inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't2', 15_000);
      await second.inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't2', 15_000);
      const onA = deltas(first.inbox, 't2');
      const onB = deltas(second.inbox, 't2');
      // What B's client got is the end of what A's got, from (at the latest) the delta after
      // the last one A's client had when B's ack came (that one may have been on its way).
      expect(onA.slice(onA.length - onB.length)).toEqual(onB);
      expect(onB.length).toBeGreaterThanOrEqual(onA.length - seenOnAAtAck - 1);
      expect(onB.length).toBeGreaterThan(0);

      // B's client leaves: A's deltas stay off the bus again.
      second.client.close();
      await pollUntil(async () => (await readyz(b)).cluster.watching === 0, 'B to stop watching');
      const before = bus.types.length;
      sendTurn(first.client, sessionId, 't3', 'slow and alone again');
      await first.inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't3', 15_000);
      await pollUntil(() => bus.types.length >= before + 2, 'the end of t3 on the bus');
      expect(bus.types.slice(before)).toEqual(['turn_started', 'turn_completed']);
    } finally {
      await bus.close();
    }
  });

  it.concurrent('a process killed mid-turn: the survivor reports the turn interrupted within seconds and the session goes on there', async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished, 2);
    const [a, b] = deployed.daemons as [GatewayDaemon, GatewayDaemon];
    const first = await deployed.hello(a, { create_new_session: true });
    const sessionId = first.ack.session.session_id;
    const second = await deployed.hello(b, { session_id: sessionId });

    sendTurn(first.client, sessionId, 'doomed', 'slow and doomed');
    await second.inbox.take('assistant_delta', (f) => f.payload.turn.turn_id === 'doomed', 15_000);
    a.kill('SIGKILL');
    await a.exited;
    const interrupted = await second.inbox.take(
      'error',
      (f) => f.payload.code === 'turn_interrupted',
      20_000,
    );
    expect(interrupted.payload.turn?.turn_id).toBe('doomed');
    expect(b.logs().some((line) => line.msg.includes('stopped mid-run'))).toBe(true);

    // A client reconnecting (through any process) learns how the turn ended, then goes on.
    const again = await deployed.hello(b, { session_id: sessionId });
    expect(again.ack.active_turn).toEqual({ turn_id: 'doomed', state: 'failed' });
    sendTurn(again.client, sessionId, 'after', 'Carry on');
    await again.inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 'after', 15_000);

    const ready = await fetch(`${b.url}/readyz`, { headers: { host: new URL(b.url).host } });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', cluster: { ok: true } });

    const stores = await openPostgresStores({ url: POSTGRES_URL, schema: deployed.schema, migrate: false });
    try {
      await pollUntil(
        async () => (await stores.cluster.processes(60_000)).length === 1,
        'the dead process to go',
      );
      expect(await stores.cluster.runs()).toEqual([]);
    } finally {
      await stores.close();
    }
  });

  it.concurrent("a user's turn on one process fills the limit for that user's A2A task on another, until it ends", async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished, 2, '[gateway]\nmax_concurrent_turns_per_user = 1\n');
    const [a, b] = deployed.daemons as [GatewayDaemon, GatewayDaemon];
    const made = await deployed.env.run(['token', 'add', '--user', 'alice']);
    expect(made.status).toBe(0);
    const aliceToken = made.stdout.trim();

    const onA = await deployed.hello(a, { user_id: 'alice', create_new_session: true });
    const sessionA = onA.ack.session.session_id;
    sendTurn(onA.client, sessionA, 'ta', 'glacial on A');
    await onA.inbox.take('assistant_delta', (f) => f.payload.turn.turn_id === 'ta', 15_000);
    // B has no run of alice's: only the deployment-wide slot can refuse it.
    const refused = await a2aTask(b, aliceToken, 'a task on B');
    expect(refused.state).toBe('rejected');
    expect(refused.text).toContain(
      "user alice already has 1 agent runs going across the deployment's processes",
    );

    // The turn on A ends (cancelled): its slot is free across the deployment.
    onA.client.send('cancel_active_turn', { session_id: sessionA });
    await onA.inbox.take('turn_cancelled', (f) => f.payload.turn.turn_id === 'ta', 15_000);
    const ran = await a2aTask(b, aliceToken, 'a task on B, now there is room');
    expect(ran.state).toBe('completed');
  });

  it.concurrent('the per-user limit holds across processes, and one process’s live feed shows agents running on another', async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished, 2, '[gateway]\nmax_concurrent_turns_per_user = 1\n');
    const [a, b] = deployed.daemons as [GatewayDaemon, GatewayDaemon];
    const { token } = deployed;
    const feed = await fetch(`${b.url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(feed.status).toBe(200);
    let feedText = '';
    const reader = feed.body!.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        feedText += value;
      }
    })();

    const onA = await deployed.hello(a, { create_new_session: true });
    const onB = await deployed.hello(b, { create_new_session: true });
    const sessionA = onA.ack.session.session_id;
    const sessionB = onB.ack.session.session_id;
    const order: string[] = [];
    sendTurn(onA.client, sessionA, 'ta', 'slow on A');
    await onA.inbox.take('turn_started', () => true, 15_000);
    order.push('A started');
    sendTurn(onB.client, sessionB, 'tb', 'on B');
    const watchB = onB.inbox.take('turn_started', () => true, 20_000).then(() => order.push('B started'));
    await onA.inbox.take('turn_completed', () => true, 15_000);
    order.push('A completed');
    await watchB;
    await onB.inbox.take('turn_completed', () => true, 15_000);
    expect(order).toEqual(['A started', 'A completed', 'B started']);

    // B's feed carried the agent that ran on A (its session id is only A's).
    await pollUntil(() => feedText.includes(sessionA), 'the feed on B to show the agent on A');
    expect(feedText).toMatch(/event: agent\ndata: .*agent_spawned/);
    await reader.cancel();
  });
});
