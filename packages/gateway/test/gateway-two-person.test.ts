/**
 * The two-person rule holds for people, not tokens: one admin holding two admin tokens (laptop
 * and phone, both bound to user alice) cannot ask with one and approve with the other, for a
 * raised spending cap or a new admin token; another admin user can. Before, the rule compared
 * the tokens only, so a second token of the same user was a "second person".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, startTestGateway, type TestGateway } from './helpers.js';

let env: TestGateway;
let laptop: string;
let phone: string;
let bob: string;

const as = (token: string, method: string, path: string, body?: unknown) =>
  fetch(`${env.gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

beforeAll(async () => {
  env = await startTestGateway({ config: { budgets: { user_daily_usd: 2 } } });
  const tokens = await env.kernel.service('tokens');
  laptop = (await tokens.add('alice', 'admin', 'laptop', 'cli')).token;
  phone = (await tokens.add('alice', 'admin', 'phone', 'cli')).token;
  bob = (await tokens.add('bob', 'admin', '', 'cli')).token;
});
afterAll(() => env.cleanup());

describe('the two-person rule with one person holding two admin tokens', () => {
  it('refuses a raised cap approved by the same user, and applies it for another', async () => {
    const asked = await as(laptop, 'PUT', '/api/v1/budgets', { user: 'alice', key: 'daily_usd', value: 500 });
    expect(asked.status).toBe(202);
    const { approval } = await jsonOf(asked);

    for (const route of [
      `/api/v1/approvals/${approval.id}/approve`,
      `/v1/approvals/${approval.id}/approve`,
    ]) {
      const self = await as(phone, 'POST', route);
      expect(self.status).toBe(400);
      expect((await jsonOf(self)).error.message).toContain('cannot be decided by the one who made it');
    }
    const rejected = await as(phone, 'POST', `/api/v1/approvals/${approval.id}/reject`, {});
    expect(rejected.status).toBe(400);

    const granted = await as(bob, 'POST', `/api/v1/approvals/${approval.id}/approve`);
    expect(granted.status).toBe(200);
    expect((await jsonOf(granted)).approval.status).toBe('approved');
  });

  it('keeps a new admin token unusable when the same user approves it', async () => {
    const asked = await as(laptop, 'POST', '/v1/tokens', { user: 'alice', role: 'admin', label: 'tablet' });
    expect(asked.status).toBe(202);
    const made = await jsonOf(asked);
    const self = await as(phone, 'POST', `/v1/approvals/${made.approval.id}/approve`);
    expect(self.status).toBe(400);
    expect((await as(made.token, 'GET', '/v1/tokens')).status).toBe(401);
  });
});
