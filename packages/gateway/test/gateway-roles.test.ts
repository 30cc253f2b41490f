/**
 * Tokens bound to users and roles: a user token acts only as its user, over HTTP and the
 * WebSocket, and cannot list, read or delete another user's sessions; admin-only operations
 * (budget changes, the audit chain) are refused below admin; a revoked token is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloClient } from './hello-client.js';
import { jsonOf, startTestGateway, type TestGateway, TOKEN } from './helpers.js';
import { RawSocket } from './raw-socket.js';

let env: TestGateway;
let alice: string;
let bob: string;
let operator: string;
let bobSession: string;

const as = (token: string, path: string, init: RequestInit = {}) =>
  fetch(`${env.gateway.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
  });

beforeAll(async () => {
  env = await startTestGateway();
  alice = (await (await env.kernel.service('tokens')).add('alice', 'user', 'alice laptop', 'test')).token;
  bob = (await (await env.kernel.service('tokens')).add('bob', 'user', '', 'test')).token;
  operator = (await (await env.kernel.service('tokens')).add('bridge', 'operator', 'telegram bridge', 'test'))
    .token;
  const { client, ack } = await helloClient(env.wsUrl, { create_new_session: true }, bob);
  bobSession = ack.session.session_id;
  client.close();
});
afterAll(() => env.cleanup());

describe('roles over REST', () => {
  it("lets a user token see only its own user's sessions", async () => {
    const mine = (await jsonOf(await as(alice, '/v1/sessions'))).sessions as unknown[];
    expect(mine).toEqual([]);
    const asked = await as(alice, '/v1/sessions?user_id=bob');
    expect(asked.status).toBe(403);
    expect((await jsonOf(asked)).error.message).toContain('this token acts as user alice');
    expect((await as(alice, `/v1/sessions/${bobSession}`)).status).toBe(404);
    expect((await as(alice, `/v1/sessions/${bobSession}`, { method: 'DELETE' })).status).toBe(404);
    expect((await as(bob, `/v1/sessions/${bobSession}`)).status).toBe(200);
    // The owner's token (admin) and an operator see everyone's.
    const all = (await jsonOf(await as(operator, '/v1/sessions'))).sessions as { user_id: string }[];
    expect(all.map((s) => s.user_id)).toContain('bob');
  });

  it('refuses a user token that claims another user in a turn', async () => {
    const response = await as(alice, '/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'default', user: 'bob', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(403);
  });

  it('keeps budget changes and the audit chain to admins, and audits the change with the token', async () => {
    const change = { user: 'alice', key: 'daily_usd', value: 1 };
    for (const token of [alice, operator]) {
      const response = await as(token, '/v1/budgets', { method: 'PUT', body: JSON.stringify(change) });
      expect(response.status).toBe(403);
      expect((await jsonOf(response)).error.message).toContain('needs the admin role');
      expect((await as(token, '/v1/audit')).status).toBe(403);
    }
    const ok = await as(TOKEN, '/v1/budgets', { method: 'PUT', body: JSON.stringify(change) });
    expect(ok.status).toBe(200);
    const own = (await jsonOf(await as(alice, '/v1/budgets'))).budgets as { scope: string }[];
    expect(own.map((b) => b.scope)).toEqual(['user:alice']);
    const entries = await (await env.kernel.service('audit')).list({ type: 'budget_change' });
    expect(entries.at(-1)).toMatchObject({ actor: 'token:owner', resource: 'user:alice' });
  });

  it('refuses a revoked token', async () => {
    const made = await (await env.kernel.service('tokens')).add('carol', 'user', '', 'test');
    expect((await as(made.token, '/v1/sessions')).status).toBe(200);
    expect(await (await env.kernel.service('tokens')).revoke(made.id, 'test')).toBe(true);
    expect((await as(made.token, '/v1/sessions')).status).toBe(401);
  });
});

describe('roles over the WebSocket', () => {
  it("binds a user token's hello to its user and refuses another user's session", async () => {
    const { client, ack } = await helloClient(env.wsUrl, {}, alice);
    expect(ack.session.user_id).toBe('alice');
    client.close();
    const claim = await RawSocket.open(env.wsUrl, { token: alice });
    claim.send({ type: 'hello', payload: { request_id: 'r1', protocol_version: 2, user_id: 'bob' } });
    const refusal = await claim.inbox.take('error');
    expect(refusal.payload).toMatchObject({ code: 'forbidden' });
    claim.close();
    const resume = await RawSocket.open(env.wsUrl, { token: alice });
    resume.send({
      type: 'hello',
      payload: { request_id: 'r1', protocol_version: 2, session_id: bobSession },
    });
    expect((await resume.inbox.take('error')).payload).toMatchObject({ code: 'session_not_found' });
    resume.close();
  });
});
