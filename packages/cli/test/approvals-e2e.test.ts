/**
 * The approvals queue end to end: the real `oxydra gateway` binary queues the dangerous admin
 * operations asked for over REST (raising a spending cap, an admin token) instead of doing
 * them; nobody decides their own request; `oxydra approvals list|approve|reject` at the
 * terminal carries them out or refuses them, and every step is in the audit chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { auditEntries } from './helpers.js';

let env: AgentEnv;
let daemon: GatewayDaemon;
let owner: string;

const call = async (token: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${daemon.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what each test asserts
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};
const dailyCap = async (user: string) => {
  const { body } = await call(owner, 'GET', '/v1/budgets');
  const scope = (body.budgets as { scope: string; caps: { key: string; limit: number }[] }[]).find(
    (b) => b.scope === `user:${user}`,
  );
  return scope?.caps.find((cap) => cap.key === 'daily_usd')?.limit;
};

beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'hi' }, times: 'always' }]);
  daemon = await GatewayDaemon.start(env);
  owner = generatedToken(env);
}, 60_000);
afterAll(async () => {
  daemon.kill('SIGKILL');
  await daemon.exited;
  await env.close();
});

describe('admin approvals', () => {
  it('applies a first or lower cap at once, queues a raise, and carries it out when approved at the terminal', async () => {
    expect(
      (await call(owner, 'PUT', '/v1/budgets', { user: 'alice', key: 'daily_usd', value: 1 })).status,
    ).toBe(200);
    expect(
      (await call(owner, 'PUT', '/v1/budgets', { user: 'alice', key: 'daily_usd', value: 0.5 })).status,
    ).toBe(200);
    const raise = await call(owner, 'PUT', '/v1/budgets', { user: 'alice', key: 'daily_usd', value: 50 });
    expect(raise.status).toBe(202);
    expect(raise.body.status).toBe('pending_approval');
    const id = raise.body.approval.id as string;
    expect(await dailyCap('alice')).toBe(0.5);

    // The owner's token cannot approve its own request.
    const own = await call(owner, 'POST', `/v1/approvals/${id}/approve`);
    expect(own.status).toBe(400);
    expect(own.body.error.message).toContain('cannot be decided by the one who made it');

    const listed = await env.run(['approvals', 'list']);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(
      `${id}  pending   set user alice's daily_usd cap to 50  asked by token:owner`,
    );
    const approved = await env.run(['approvals', 'approve', id]);
    expect(approved.status).toBe(0);
    expect(approved.stdout).toContain(`approved ${id}`);
    expect(await dailyCap('alice')).toBe(50);
    const again = await env.run(['approvals', 'approve', id]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`approval request ${id} is approved, not pending`);

    const types = auditEntries(env.workspace).map((e) => `${e.type} ${e.actor}`);
    expect(types).toEqual(
      expect.arrayContaining([
        'admin_approval_request token:owner',
        'budget_change cli',
        'admin_approval_grant cli',
      ]),
    );
  });

  it('returns an admin token asked for over REST unusable until another admin approves it', async () => {
    const second = await call(owner, 'POST', '/v1/tokens', {
      user: 'ops',
      role: 'admin',
      label: 'second admin',
    });
    expect(second.status).toBe(202);
    const token = second.body.token as string;
    expect((await call(token, 'GET', '/v1/sessions')).status).toBe(401);
    const tokens = await env.run(['token', 'list']);
    expect(tokens.stdout).toMatch(new RegExp(`${second.body.id}  admin +ops .*PENDING APPROVAL`));

    // A user token cannot decide; the requester cannot either; another admin can.
    const user = await call(owner, 'POST', '/v1/tokens', { user: 'bob', role: 'user' });
    expect(user.status).toBe(201);
    const approvalId = second.body.approval.id as string;
    expect((await call(user.body.token, 'POST', `/v1/approvals/${approvalId}/approve`)).status).toBe(403);
    const cliMade = (await env.run(['token', 'add', '--user', 'root2', '--role', 'admin'])).stdout.trim();
    const granted = await call(cliMade, 'POST', `/v1/approvals/${approvalId}/approve`);
    expect(granted.status).toBe(200);
    expect(granted.body.approval.status).toBe('approved');
    expect((await call(token, 'GET', '/v1/sessions')).status).toBe(200);
  });

  it('rejects at the terminal: the requested token is revoked, the cap unchanged, the reason recorded', async () => {
    const asked = await call(owner, 'POST', '/v1/tokens', { user: 'mallory', role: 'admin' });
    const raise = await call(owner, 'PUT', '/v1/budgets', { user: 'alice', key: 'daily_usd', value: null });
    expect(raise.status).toBe(202);
    for (const id of [asked.body.approval.id, raise.body.approval.id]) {
      const rejected = await env.run(['approvals', 'reject', id, '--reason', 'not agreed']);
      expect(rejected.status).toBe(0);
    }
    expect((await call(asked.body.token, 'GET', '/v1/sessions')).status).toBe(401);
    expect(await dailyCap('alice')).toBe(50);
    const all = JSON.parse((await env.run(['approvals', 'list', '--all', '--json'])).stdout) as {
      status: string;
      reason?: string;
    }[];
    expect(all.filter((a) => a.status === 'rejected').map((a) => a.reason)).toEqual([
      'not agreed',
      'not agreed',
    ]);
    expect((await env.run(['approvals', 'list'])).stdout).toBe('nothing waits for approval\n');
  });
});
