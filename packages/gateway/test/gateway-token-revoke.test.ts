/**
 * A revoked token keeps nothing open: its WebSocket is closed (1008) and its /api/v1/events
 * stream ends, when it is revoked through the gateway (at once) and when another process revokes
 * it straight in the store (at the next sweep). Before, each request checked its token only when
 * it arrived, so a revoked user's open WebSocket went on starting turns and its feed went on
 * telling its user's agents.
 */
import { openKernelDb } from '@oxydra/kernel/stores';
import { ON_POSTGRES } from '@oxydra/store-postgres/testing/test-store';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloClient } from './hello-client.js';
import { startTestGateway, type TestGateway, TOKEN } from './helpers.js';
import { RawSocket } from './raw-socket.js';

let env: TestGateway;

beforeAll(async () => {
  // A short sweep: the test waits for it, never a fixed time.
  env = await startTestGateway({ revocationSweepMs: 100 });
});
afterAll(() => env.cleanup());

/** A new token of alice's with what it holds open: a WebSocket (hello done) and the live feed. */
async function aliceHolding() {
  const alice = await (await env.kernel.service('tokens')).add('alice', 'user', '', 'test');
  const { inbox } = await helloClient(env.wsUrl, { create_new_session: true }, alice.token);
  const feed = await openFeed(alice.token);
  return { alice, inbox, feed };
}

/** Opens the live feed and resolves once it said it is connected; `ended` settles when it ends. */
async function openFeed(token: string): Promise<{ ended: Promise<string> }> {
  const response = await fetch(`${env.gateway.url}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(': connected')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the feed ended before it said it was connected');
    text += decoder.decode(value, { stream: true });
  }
  const ended = (async () => {
    try {
      for (;;) if ((await reader.read()).done) return 'ended';
    } catch {
      return 'cut';
    }
  })();
  return { ended };
}

describe('revoking a token ends what it holds open', () => {
  it('closes its WebSocket and its live feed at once when revoked through the gateway', async () => {
    const { alice, inbox, feed } = await aliceHolding();
    // The owner's connections are not the revoked token's: they stay.
    const owner = await helloClient(env.wsUrl, { create_new_session: true }, TOKEN);

    const revoked = await fetch(`${env.gateway.url}/v1/tokens/${alice.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(revoked.status).toBe(200);

    expect(await pollUntil(() => inbox.closed, 'the gateway to close the socket')).toEqual({
      code: 1008,
      reason: 'connection lost (code 1008: the token was revoked)',
    });
    expect(['ended', 'cut']).toContain(await feed.ended);
    expect(owner.inbox.closed).toBeUndefined();
    const list = owner.client.send('list_sessions', {
      include_archived: false,
      include_subagent_sessions: false,
    });
    expect((await owner.inbox.take('session_list')).payload.request_id).toBe(list);
    await owner.client.close();
    // And the token opens nothing new.
    await expect(RawSocket.open(env.wsUrl, { token: alice.token })).rejects.toMatchObject({
      status: 401,
    });
  });

  // libSQL only: revokes the token by writing kernel.db, as `oxydra token revoke` in another process does.
  it.skipIf(ON_POSTGRES)('closes them at the next sweep when another process revokes the token', async () => {
    const { alice, inbox, feed } = await aliceHolding();
    const other = await openKernelDb(env.workspace);
    try {
      other
        .prepare('UPDATE gateway_tokens SET revoked_at = ? WHERE id = ?')
        .run(new Date().toISOString(), alice.id);
    } finally {
      other.close();
    }
    expect(await pollUntil(() => inbox.closed, 'the gateway to close the socket')).toEqual({
      code: 1008,
      reason: 'connection lost (code 1008: the token was revoked)',
    });
    expect(['ended', 'cut']).toContain(await feed.ended);
  });
});
