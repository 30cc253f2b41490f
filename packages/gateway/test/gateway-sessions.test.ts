/**
 * Sessions over time: they survive a gateway restart (with how their last turn ended), idle ones
 * are archived by the sweep (injectable clock), REST reads and deletes them, and shutdown
 * cancels running turns and tells their clients.
 */

import type { GatewayClient } from '@oxydra/gateway-client';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Hello, helloClient } from './hello-client.js';
import {
  Gate,
  heldScript,
  jsonOf,
  ownerSessions,
  ScriptedModel,
  sendTurn,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from './helpers.js';

let env: TestGateway | undefined;
const clients: GatewayClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await env?.cleanup();
  env = undefined;
});

async function hello(gateway: TestGateway, payload: Hello = {}) {
  const result = await helloClient(gateway.wsUrl, payload, TOKEN);
  clients.push(result.client);
  return result;
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('restart', () => {
  it('resumes a session after a restart: hello_ack names it with its last turn, and turns continue counting', async () => {
    env = await startTestGateway();
    const { client, inbox, ack } = await hello(env, { user_id: 'alice', create_new_session: true });
    const session = ack.session;
    sendTurn(client, session.session_id, 'remember me', 'first');
    await inbox.take('turn_completed');
    client.close();

    env = await env.restart({ model: new ScriptedModel() });
    const resumed = await hello(env, { user_id: 'alice', session_id: session.session_id });
    expect(resumed.ack).toMatchObject({
      session,
      active_turn: { turn_id: 'first', state: 'completed' },
    });
    sendTurn(resumed.client, session.session_id, 'and again', 'second');
    expect((await resumed.inbox.take('turn_completed')).payload.turn).toEqual({
      turn_id: 'second',
      index: 2,
    });
  });

  it("stores a turn's final record waiting for the disk itself, before the final frame", async () => {
    env = await startTestGateway();
    const store = await ownerSessions(env.kernel);
    const setState = vi.spyOn(store, 'setState');
    const endTurn = vi.spyOn(store, 'endTurn');
    const { client, inbox, ack } = await hello(env, { create_new_session: true });
    sendTurn(client, ack.session.session_id, 'hello', 'one');
    await inbox.take('turn_completed');
    const records = setState.mock.calls.filter(([, key]) => key === 'gateway.turn');
    const final = records.find(([, , value]) => JSON.parse(value).state === 'completed');
    // Alone, written after the final frame, not relaxed; of a deployment (the PostgreSQL run), in
    // the end's one transaction with the answer and the claim's release, before the final frame
    // (endTurn always waits for the disk: docs/postgres.md, "Ninth round").
    expect(final?.[4]?.relaxed).not.toBe(true);
    if (env.schema) {
      expect(final).toBeUndefined();
      const ended = endTurn.mock.calls.map(([, end]) => end);
      expect(ended).toHaveLength(1);
      expect(ended[0]?.releaseRun).toBeDefined();
      expect(ended[0]?.messages?.map((message) => message.role)).toEqual(['assistant']);
      const record = ended[0]?.states?.find((write) => write.key === 'gateway.turn');
      expect(JSON.parse(record?.value ?? '{}').state).toBe('completed');
    } else {
      expect(final).toBeDefined();
      expect(endTurn).not.toHaveBeenCalled();
    }
  });

  it("appends a deployment's messages relaxed, once its running record is stored; alone, each waiting for the disk", async () => {
    env = await startTestGateway();
    const { schema } = env;
    const store = await ownerSessions(env.kernel);
    const writes: string[] = [];
    const setState = store.setState.bind(store);
    const appendTurn = store.appendTurn.bind(store);
    vi.spyOn(store, 'setState').mockImplementation(async (id, key, value, epoch, options) => {
      const written = await setState(id, key, value, epoch, options);
      if (key === 'gateway.turn') writes.push(`record ${JSON.parse(value).state} written`);
      return written;
    });
    vi.spyOn(store, 'appendTurn').mockImplementation(async (id, messages, options) => {
      // Of a deployment, the running record is written by the turn's claim, in its transaction
      // (docs/postgres.md, "Thirteenth round"): stored before the prompt is appended.
      const record = schema ? (await store.getState(id, 'gateway.turn'))?.value : undefined;
      if (record) writes.push(`record ${JSON.parse(record).state} stored`);
      writes.push(`append${options?.relaxed ? ' relaxed' : ''}`);
      return appendTurn(id, messages, options);
    });
    const endTurn = store.endTurn.bind(store);
    vi.spyOn(store, 'endTurn').mockImplementation((id, end) => {
      writes.push(`end${end.messages ? ' with the answer' : ''}`);
      return endTurn(id, end);
    });
    const { client, inbox, ack } = await hello(env, { create_new_session: true });
    sendTurn(client, ack.session.session_id, 'hello', 'one');
    await inbox.take('turn_completed');
    // Of a deployment (the PostgreSQL run), the prompt goes relaxed; the answer, the final record
    // and the release in one transaction that waits for the disk before the final frame, and
    // puts the prompt there too (docs/postgres.md, "Fourth round", "Ninth round").
    expect(writes.slice(0, 3)).toEqual(
      env.schema
        ? ['record running stored', 'append relaxed', 'end with the answer']
        : ['record running written', 'append', 'append'],
    );
  });

  it('of a deployment, does not call a turn completed when the final record (its flush) fails', async () => {
    env = await startTestGateway();
    const store = await ownerSessions(env.kernel);
    const setState = store.setState.bind(store);
    vi.spyOn(store, 'setState').mockImplementation(async (id, key, value, epoch, options) => {
      if (key === 'gateway.turn' && JSON.parse(value).state !== 'running') throw new Error('connection lost');
      return setState(id, key, value, epoch, options);
    });
    vi.spyOn(store, 'endTurn').mockRejectedValue(new Error('connection lost'));
    const { client, inbox, ack } = await hello(env, { create_new_session: true });
    sendTurn(client, ack.session.session_id, 'hello', 'one');
    if (env.schema) {
      // Its messages went relaxed: only that flushed record would have put them on disk.
      const error = await inbox.take('error');
      expect(error.payload).toMatchObject({ code: 'turn_unconfirmed' });
      // The end failed whole: the answer was appended on its own after it, waiting for the disk.
      const messages = await store.loadMessages(ack.session.session_id);
      expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    } else {
      // Alone, the messages waited for the disk themselves; the record follows the final frame.
      await inbox.take('turn_completed');
    }
  });

  it('reports a turn cut off by a crash as failed after the restart', async () => {
    env = await startTestGateway({ model: new ScriptedModel(heldScript(new Gate())) });
    const { client, inbox, ack } = await hello(env, { create_new_session: true });
    const id = ack.session.session_id;
    sendTurn(client, id, 'never finishes', 'cut');
    await inbox.take('assistant_delta');
    // What a crash leaves: the record says running. (A clean close would cancel the turn.)
    const record = await (await ownerSessions(env.kernel)).getState(id, 'gateway.turn');
    expect(JSON.parse(record!.value)).toEqual({ turn_id: 'cut', index: 1, state: 'running' });
    await env.stop();
    const db = await env.storedSessions();
    await db.sessions.setState(
      id,
      'gateway.turn',
      record!.value,
      (await db.sessions.getState(id, 'gateway.turn'))!.epoch,
    );
    await db.close();

    env = await env.restart({ model: new ScriptedModel() });
    const resumed = await hello(env, { session_id: id });
    expect(resumed.ack.active_turn).toEqual({ turn_id: 'cut', state: 'failed' });
  });
});

describe('shutdown', () => {
  it('cancels running turns, sends turn_cancelled, closes sockets with 1001 and stops answering', async () => {
    const runner = new ScriptedModel(heldScript(new Gate()));
    env = await startTestGateway({ model: runner });
    const { client, inbox, ack } = await hello(env, { create_new_session: true });
    sendTurn(client, ack.session.session_id, 'long', 'L');
    await inbox.take('assistant_delta');
    await env.stop();
    expect((await inbox.take('turn_cancelled')).payload.turn.turn_id).toBe('L');
    expect((await pollUntil(() => inbox.closed, 'the gateway to close the socket')).code).toBe(1001);
    expect(runner.calls[0]?.signal.aborted).toBe(true);
    // The cancelled turn's state was stored before the store closed.
    const db = await env.storedSessions();
    const record = await db.sessions.getState(ack.session.session_id, 'gateway.turn');
    await db.close();
    expect(JSON.parse(record!.value)).toMatchObject({ turn_id: 'L', state: 'cancelled' });
    await expect(fetch(`${env.gateway.url}/healthz`)).rejects.toThrow();
  });
});

describe('idle sessions', () => {
  it('archives sessions with no client and no turn after session_idle_ttl, on the sweep timer', async () => {
    let now = Date.now();
    env = await startTestGateway({
      clock: { now: () => now },
      limits: { sessionIdleTtlMs: 48 * 3600_000 },
      archiveSweepMs: 25,
    });
    const idle = await hello(env, { user_id: 'ida', create_new_session: true });
    const attached = await hello(env, { user_id: 'ida', create_new_session: true });
    const idleId = idle.ack.session.session_id;
    const attachedId = attached.ack.session.session_id;
    idle.client.close();
    await pollUntil(() => env!.gateway.clientCount() === 1, 'the idle client to leave');

    // Not yet: nothing is past the TTL.
    expect(await env.gateway.archiveIdleSessions()).toBe(0);
    expect((await (await ownerSessions(env.kernel)).get(idleId))?.archivedAt).toBeUndefined();

    now += 49 * 3600_000;
    await pollUntil(
      async () => (await (await ownerSessions(env!.kernel)).get(idleId))?.archivedAt !== undefined,
      'the idle session to be archived',
    );
    expect((await (await ownerSessions(env.kernel)).get(attachedId))?.archivedAt).toBeUndefined();
    // The gateway's clock back to the store's (which stamps activity with the real time): left 49
    // hours ahead, the 25 ms sweep could archive the session again between the switch marking it
    // active and the client attaching, as no real clock would (a flake on PostgreSQL).
    now = Date.now();

    // Archived sessions are left out of lists, and come back when resumed.
    attached.client.send('list_sessions', { include_archived: false, include_subagent_sessions: false });
    expect((await attached.inbox.take('session_list')).payload.sessions.map((s) => s.session_id)).toEqual([
      attachedId,
    ]);
    attached.client.send('switch_session', { session_id: idleId });
    await attached.inbox.take('session_switched');
    expect((await (await ownerSessions(env.kernel)).get(idleId))?.archivedAt).toBeUndefined();
  });

  it('frees room under max_sessions_per_user when sessions are archived', async () => {
    let now = Date.now();
    env = await startTestGateway({
      clock: { now: () => now },
      limits: { maxSessionsPerUser: 1, sessionIdleTtlMs: 3600_000 },
    });
    const first = await hello(env, { user_id: 'joe', create_new_session: true });
    first.client.send('create_session', {});
    expect((await first.inbox.take('error')).payload.code).toBe('session_limit');
    first.client.close();
    await pollUntil(() => env!.gateway.clientCount() === 0, 'the client to leave');
    now += 2 * 3600_000;
    expect(await env.gateway.archiveIdleSessions()).toBe(1);
    await hello(env, { user_id: 'joe', create_new_session: true });
  });
});

describe('REST sessions', () => {
  it('lists sessions, returns one with its transcript, and deletes it (telling attached clients)', async () => {
    env = await startTestGateway();
    const { inbox, ack } = await hello(env, { user_id: 'kim', create_new_session: true });
    const id = ack.session.session_id;
    await (await ownerSessions(env.kernel)).appendTurn(id, [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello kim' },
    ]);

    const list = await jsonOf(await fetch(`${env.gateway.url}/v1/sessions?user_id=kim`, { headers: auth }));
    expect(list.sessions).toEqual([
      expect.objectContaining({
        session_id: id,
        user_id: 'kim',
        agent_name: 'default',
        channel_origin: 'gateway',
        archived: false,
        message_count: 2,
        display_name: 'hi',
        name: 'hi',
      }),
    ]);
    const one = await jsonOf(await fetch(`${env.gateway.url}/v1/sessions/${id}`, { headers: auth }));
    expect(one.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello kim' },
    ]);
    expect((await fetch(`${env.gateway.url}/v1/sessions/nope`, { headers: auth })).status).toBe(404);
    // A NUL no id holds (PostgreSQL refused it: an internal error there), on both stores.
    const nul = (path: string) => fetch(`${env!.gateway.url}${path}`, { headers: auth });
    expect((await nul(`/v1/sessions/${id}%00`)).status).toBe(404);
    expect((await nul(`/api/v1/sessions/${id}%00`)).status).toBe(404);
    expect((await jsonOf(await nul('/api/v1/sessions?user_id=kim%00'))).sessions).toEqual([]);
    expect((await fetch(`${env.gateway.url}/v1/sessions?limit=0`, { headers: auth })).status).toBe(400);

    const deleted = await fetch(`${env.gateway.url}/v1/sessions/${id}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(204);
    expect((await inbox.take('error')).payload).toMatchObject({
      code: 'session_deleted',
      session: ack.session,
    });
    expect(await (await ownerSessions(env.kernel)).get(id)).toBeUndefined();
    expect(
      (await fetch(`${env.gateway.url}/v1/sessions/${id}`, { method: 'DELETE', headers: auth })).status,
    ).toBe(404);
  });

  it('refuses to delete a session with a running turn (409)', async () => {
    env = await startTestGateway({ model: new ScriptedModel(heldScript(new Gate())) });
    const { client, inbox, ack } = await hello(env, { create_new_session: true });
    const id = ack.session.session_id;
    sendTurn(client, id, 'busy');
    await inbox.take('assistant_delta');
    const response = await fetch(`${env.gateway.url}/v1/sessions/${id}`, { method: 'DELETE', headers: auth });
    expect(response.status).toBe(409);
    expect((await jsonOf(response)).error.code).toBe('turn_active');
  });
});
