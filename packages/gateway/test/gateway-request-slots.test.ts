/**
 * A `user` token's plain HTTP requests in flight at once are capped ([gateway]
 * max_requests_per_token): a non-streamed answer is held whole in the gateway until its client
 * takes it, and a client that sends requests and never reads held about 110 MB per connection
 * (an export of a 20 MB session), with no bound on the connections. Past the cap: 429 with
 * Retry-After and an error naming the setting; other tokens go on; a slot frees when its answer
 * is done or its connection ends; streamed answers do not hold one.
 */
import { connect } from 'node:net';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Gate,
  heldScript,
  jsonOf,
  ownerSessions,
  ScriptedModel,
  startTestGateway,
  type TestGateway,
  userTokens,
} from './helpers.js';

const CAP = 3;
let env: TestGateway;
let gate: Gate;
let alice: string;
let bob: string;
let logs: string[];
beforeEach(async () => {
  gate = new Gate();
  logs = [];
  env = await startTestGateway({
    model: new ScriptedModel(heldScript(gate)),
    limits: { maxRequestsPerToken: CAP, answerStallMs: 500 },
    log: (_level, message, fields) => logs.push(`${message} ${JSON.stringify(fields)}`),
  });
  [alice, bob] = (await userTokens(env, 'alice', 'bob')) as [string, string];
});
afterEach(async () => {
  gate.release();
  await env.cleanup();
});

/** A run of `token`'s (`POST /api/v1/runs`, answered when it ends), held by the gate. */
function heldRun(token: string, signal: AbortSignal): Promise<Response> {
  return fetch(`${env.gateway.url}/api/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'hi' }),
    signal,
  });
}

/** A streamed chat completion of `token`'s, held by the gate. */
function streamedChat(token: string, signal: AbortSignal): Promise<Response> {
  return fetch(`${env.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    signal,
  });
}

function listSessions(token: string): Promise<Response> {
  return fetch(`${env.gateway.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${token}` } });
}

describe('plain HTTP requests in flight per token', () => {
  it('past the cap: 429 naming the setting, with Retry-After; a slot frees when its answer is done', async () => {
    const stop = new AbortController();
    const held = Array.from({ length: CAP }, () => heldRun(alice, stop.signal));
    await pollUntil(() => env.model.calls.length >= CAP, `${CAP} turns running`, { timeoutMs: 20_000 });
    const refused = await listSessions(alice);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await jsonOf(refused)).error).toEqual({
      code: 'too_many_requests',
      type: 'rate_limit_error',
      message: `this token has ${CAP} requests in flight, the most it may ([gateway] max_requests_per_token); read their answers before sending more`,
    });
    // Another token is not held back by alice's.
    expect((await listSessions(bob)).status).toBe(200);
    // Alice's answers come: her slots are free again.
    gate.release();
    for (const response of await Promise.all(held)) {
      expect(response.status).toBe(200);
      expect((await jsonOf(response)).text).toBe('working done');
    }
    await pollUntil(async () => (await listSessions(alice)).status === 200, 'a slot freed', {
      timeoutMs: 20_000,
    });
  });

  it('a connection that ends frees its slot, and streamed answers hold none', async () => {
    const stop = new AbortController();
    const held = Array.from({ length: CAP }, () => heldRun(alice, stop.signal).catch(() => undefined));
    await pollUntil(() => env.model.calls.length >= CAP, `${CAP} turns running`, { timeoutMs: 20_000 });
    expect((await listSessions(alice)).status).toBe(429);
    stop.abort();
    await Promise.all(held);
    await pollUntil(async () => (await listSessions(alice)).status === 200, 'a slot freed', {
      timeoutMs: 20_000,
    });
    // Streamed answers (SSE) give their slot back as they start.
    const streams = new AbortController();
    const streamed = await Promise.all(
      Array.from({ length: CAP + 1 }, () => streamedChat(alice, streams.signal)),
    );
    for (const response of streamed)
      expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect((await listSessions(alice)).status).toBe(200);
    streams.abort();
  });

  it('a non-streamed answer its client stops taking is cut, its slot freed', async () => {
    // An export (Markdown) of alice's session of 24 MB: far more than the sockets' buffers take.
    const store = await ownerSessions(env.kernel);
    const session = await store.create({ userId: 'alice' });
    const chunk = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 24; i++) {
      await store.appendTurn(session.id, [
        { role: 'user', content: `${i} ${chunk}` },
        { role: 'assistant', content: `ok ${i}` },
      ]);
    }
    const { host } = new URL(env.gateway.url);
    const [hostname, port] = [host.split(':')[0]!, Number(host.split(':')[1])];
    // Raw sockets that send the request and never read a byte of the answer.
    const sockets = Array.from({ length: CAP }, () => {
      const socket = connect({ host: hostname, port });
      socket.pause();
      socket.on('error', () => {});
      socket.write(
        `GET /api/v1/sessions/${session.id}/export HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${alice}\r\n\r\n`,
      );
      return socket;
    });
    try {
      const cut = () =>
        logs.filter((line) => line.startsWith('dropping an HTTP client that does not read its answer'));
      await pollUntil(
        () => cut().length === CAP,
        () => `${CAP} stalled answers cut (saw ${cut().length})`,
        {
          timeoutMs: 20_000,
        },
      );
      expect(cut()[0]).toContain(`"path":"/api/v1/sessions/${session.id}/export"`);
      // Their slots are free: alice is answered.
      await pollUntil(async () => (await listSessions(alice)).status === 200, 'a slot freed', {
        timeoutMs: 20_000,
      });
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});
