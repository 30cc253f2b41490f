/**
 * Slow clients (slowloris) over raw TCP: a request whose body trickles in a byte at a time is cut
 * off once it has taken longer than the request limit, and a client refused before its body was
 * read (no token) is answered `Connection: close` and loses its socket; WebSockets and streams
 * already open are not bound by the limit. Before, Fastify's default (no limit on a request's
 * body) let any client, even one already answered 401, keep its socket for good.
 */
import { connect, type Socket } from 'node:net';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloClient } from './hello-client.js';
import { Gate, heldScript, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

let env: TestGateway;

beforeAll(async () => {
  env = await startTestGateway({ limits: { requestTimeoutMs: 600 } });
});
afterAll(() => env.cleanup());

/**
 * Sends a request's headers and the start of a body that never ends, a byte every 50 ms;
 * resolves with what the server sent once it closes the socket.
 */
function trickle(headers: string[]): Promise<string> {
  const { port, hostname } = new URL(env.gateway.url);
  const socket: Socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  socket.write(
    [
      'POST /api/v1/runs HTTP/1.1',
      `Host: ${new URL(env.gateway.url).host}`,
      'Content-Type: application/json',
      'Content-Length: 1000000',
      ...headers,
      '',
      '{"prompt":"',
    ].join('\r\n'),
  );
  const drip = setInterval(() => {
    if (!socket.destroyed) socket.write('a');
  }, 50);
  return new Promise((resolve) => {
    socket.on('close', () => {
      clearInterval(drip);
      resolve(received);
    });
  });
}

describe('slow clients', () => {
  it('refuses a client without a token and closes its connection instead of reading its body', async () => {
    const received = await trickle([]);
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
    expect(received.toLowerCase()).toContain('connection: close');
  });

  it('cuts off an authenticated body that never ends, and leaves open WebSockets, feeds and runs alone', async () => {
    const { client, inbox } = await helloClient(env.wsUrl, { create_new_session: true }, TOKEN);
    // A run whose request is in, answered only once the model is let go (after the cut below).
    const gate = new Gate();
    env.model.script = heldScript(gate);
    const run = fetch(`${env.gateway.url}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hold' }),
    });
    await pollUntil(() => env.model.calls.length > 0, 'the held run to reach the model', {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    const feed = await fetch(`${env.gateway.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const reader = feed.body!.getReader();
    let ended = false;
    void (async () => {
      while (!(await reader.read().catch(() => ({ done: true }))).done);
      ended = true;
    })();

    const received = await trickle([`Authorization: Bearer ${TOKEN}`]);
    // Node answers 408 when it can, else just closes: either way the socket is gone.
    if (received !== '') expect(received).toMatch(/^HTTP\/1\.1 408 /);

    // Both were open far longer than the limit: they still work.
    const list = client.send('list_sessions', { include_archived: false, include_subagent_sessions: false });
    expect((await inbox.take('session_list')).payload.request_id).toBe(list);
    expect(inbox.closed).toBeUndefined();
    expect(ended).toBe(false);
    gate.release();
    const answer = await run;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ status: 'completed', text: 'working done' });
    client.close();
    await reader.cancel();
  });
});
