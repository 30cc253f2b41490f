/**
 * A user token cannot multiply its limits by opening more WebSockets: its connections share one
 * frame budget, and at most MAX_USER_TOKEN_SOCKETS are open at once (the next is closed 1008);
 * the owner's token keeps a budget per connection. Before, the rate limit was per connection and
 * there was no cap, so N connections sent N times the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_USER_TOKEN_SOCKETS } from '../src/ws/user-sockets.js';
import { startTestGateway, type TestGateway, TOKEN } from './helpers.js';
import { RawSocket } from './raw-socket.js';

let env: TestGateway;
let alice: string;
const opened: RawSocket[] = [];

beforeAll(async () => {
  // One frame a second, bursts of 20: three connections sending 15 each go over only when shared.
  env = await startTestGateway({ limits: { rateLimitPerSec: 1, rateLimitBurst: 20 } });
  alice = (await (await env.kernel.service('tokens')).add('alice', 'user', '', 'test')).token;
});
afterAll(async () => {
  for (const client of opened) client.close();
  await env.cleanup();
});

/** Sends 15 frames on each of three connections of the token at once; how many were refused. */
async function flood(token: string | undefined): Promise<number> {
  const clients = await Promise.all(
    [0, 1, 2].map(() => RawSocket.open(env.wsUrl, { token: token ?? TOKEN })),
  );
  opened.push(...clients);
  for (const client of clients)
    for (let i = 0; i < 15; i++) client.send({ type: 'list_sessions', payload: { request_id: `r${i}` } });
  let refused = 0;
  for (const client of clients) {
    // Each frame is answered (hello_required) or refused; one rate_limited error says it was.
    // (or the connection is closed for flooding: refused too).
    for (let i = 0; i < 15; i++) {
      const frame = await client.inbox.take('error').catch(() => undefined);
      if (frame === undefined || frame.payload.code === 'rate_limited') {
        refused += 1;
        break;
      }
    }
    client.close();
  }
  return refused;
}

describe("a user token's WebSockets", () => {
  it('share one frame budget; the owner token keeps one per connection', async () => {
    expect(await flood(alice)).toBeGreaterThan(0);
    expect(await flood(undefined)).toBe(0);
  });

  it(`are at most ${MAX_USER_TOKEN_SOCKETS} at once`, async () => {
    const clients = [];
    for (let i = 0; i < MAX_USER_TOKEN_SOCKETS; i++)
      clients.push(await RawSocket.open(env.wsUrl, { token: alice }));
    opened.push(...clients);
    const over = await RawSocket.open(env.wsUrl, { token: alice });
    opened.push(over);
    expect((await over.closed).code).toBe(1008);
    // One closed makes room again.
    clients[0]!.close();
    await clients[0]!.closed;
    const again = await RawSocket.open(env.wsUrl, { token: alice });
    opened.push(again);
    again.send({ type: 'list_sessions', payload: { request_id: 'x' } });
    expect((await again.inbox.take('error')).payload.code).toBe('hello_required');
  });
});
