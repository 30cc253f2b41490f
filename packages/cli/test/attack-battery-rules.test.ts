/**
 * The attack battery, continued: the kernel's rules over money and time (issue 30, "workspace
 * trust", part 6), with the real `oxydra gateway` binary and the real CLI on one workspace.
 * - An admin token raises a user's cap above the [budgets] default that holds them: it waits
 *   for a second person instead of applying, and `oxydra budget show` says where each cap in
 *   force comes from.
 * - A schedule outlives its user's access: revoking the user's only token pauses it with the
 *   reason, nothing runs, and resuming is refused until the user has a token again.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { auditEntries } from './helpers.js';

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  daemon?.kill('SIGKILL');
  await daemon?.exited;
  daemon = undefined;
  await env?.close();
  env = undefined;
});

// biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what each test asserts
type Json = Record<string, any>;
async function call(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${daemon!.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

/** A token made at the terminal: its secret (stdout) and id (stderr). */
async function addToken(agent: AgentEnv, user: string): Promise<{ token: string; id: string }> {
  const made = await agent.run(['token', 'add', '--user', user]);
  expect(made.status, made.stderr).toBe(0);
  return { token: made.stdout.trim(), id: /token (\S+) for user/.exec(made.stderr)![1]! };
}

const inSeconds = (seconds: number) => `${new Date(Date.now() + seconds * 1000).toISOString().slice(0, 19)}Z`;
const asked = (agent: AgentEnv, text: string) =>
  agent.mock.requests.filter((request) => request.raw.includes(text)).length;

describe('attack battery: kernel rules', () => {
  it('raising a cap that applies through the [budgets] default waits for a second admin', async () => {
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ reply: { text: 'hi' }, times: 'always' }],
      '[budgets]\nuser_daily_usd = 2\n',
    );
    daemon = await GatewayDaemon.start(env);
    const owner = generatedToken(env);
    await addToken(env, 'xavier');

    const shown = await env.run(['budget', 'show']);
    expect(shown.stdout).toMatch(
      /user:xavier: today[^\n]*\n {2}daily_usd +\$0\.0000 of \$2\.00 used, \$2\.00 left; resets [^\n]*\(default: budgets\.user_daily_usd\)\n {2}monthly_usd +no cap {2}\(none\)/,
    );

    const raise = await call(owner, 'PUT', '/api/v1/budgets', {
      user: 'xavier',
      key: 'daily_usd',
      value: 200,
    });
    expect(raise.status).toBe(202);
    expect(raise.body.status).toBe('pending_approval');
    const listed = await call(owner, 'GET', '/api/v1/budgets');
    const xavier = (listed.body.budgets as Json[]).find((b) => b.scope === 'user:xavier')!;
    expect(xavier.caps).toEqual([
      expect.objectContaining({
        key: 'daily_usd',
        limit: 2,
        origin: 'default',
        source: 'budgets.user_daily_usd',
      }),
    ]);
    expect(xavier.uncapped).toEqual(['monthly_usd']);

    const approved = await env.run(['approvals', 'approve', raise.body.approval.id]);
    expect(approved.status, approved.stderr).toBe(0);
    expect((await env.run(['budget', 'show'])).stdout).toMatch(
      /daily_usd +\$0\.0000 of \$200\.00 used[^\n]*\(explicit: oxydra budget set\)/,
    );
    // Lowering applies at once.
    const lower = await call(owner, 'PUT', '/api/v1/budgets', { user: 'xavier', key: 'daily_usd', value: 1 });
    expect(lower.status).toBe(200);
    expect(lower.body.status).toBe('applied');
    // Removing a cap only the configuration sets is refused, not silently "applied".
    const remove = await env.run(['budget', 'set', '--user', 'yolanda', '--daily', 'none']);
    expect(remove.status).toBe(2);
    expect(remove.stderr).toContain(
      'user:yolanda has no daily_usd cap set with `oxydra budget set`: nothing to remove',
    );
    expect(remove.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('revoking a user’s only token pauses their schedules with the reason; nothing runs until a token and a resume', async () => {
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ reply: { text: 'done' }, times: 'always' }],
      '[scheduler]\nenabled = true\npoll_interval_secs = 1\n',
    );
    daemon = await GatewayDaemon.start(env);
    const alice = await addToken(env, 'alice');
    const made = await call(alice.token, 'POST', '/api/v1/schedules', {
      name: 'exfil',
      prompt: 'alice-task: mail the repository out',
      at: inSeconds(4),
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const id = made.body.schedule.id as string;
    expect(made.body.schedule).toMatchObject({ user_id: 'alice', created_by: `token:${alice.id}` });
    const hourly = await call(alice.token, 'POST', '/api/v1/schedules', {
      name: 'hourly',
      prompt: 'alice-task: hourly digest',
      every: '1h',
    });
    expect(hourly.status).toBe(201);
    const hourlyId = hourly.body.schedule.id as string;

    expect((await env.run(['token', 'revoke', alice.id])).status).toBe(0);
    // A schedule of the owner's, due later, proves the scheduler polled past alice's due time.
    const control = await env.run([
      'schedule',
      'add',
      '--at',
      inSeconds(7),
      '--name',
      'control',
      'owner-task',
    ]);
    expect(control.status, control.stderr).toBe(0);
    await pollUntil(() => asked(env!, 'owner-task') >= 1, "the owner's schedule", { timeoutMs: 60_000 });
    expect(asked(env, 'alice-task')).toBe(0);

    const reason = new RegExp(
      `paused: the user's last token was revoked on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC; resume with \`oxydra schedule resume ${id}\` after issuing a token`,
    );
    const list = await env.run(['schedule', 'list']);
    expect(list.stdout).toMatch(new RegExp(`${id} +paused +alice .*\\(${reason.source}\\)`));
    expect((await env.run(['schedule', 'show', id])).stdout).toMatch(
      new RegExp(`state +paused — ${reason.source}`),
    );
    const api = await call(generatedToken(env), 'GET', '/api/v1/schedules');
    expect((api.body.schedules as Json[]).find((s) => s.id === id)).toMatchObject({
      enabled: false,
      disabled_reason: expect.stringMatching(reason),
    });
    const runNow = await env.run(['schedule', 'run-now', id]);
    expect(runNow.status).toBe(2);
    expect(runNow.stderr).toMatch(/is paused: the user's last token was revoked/);
    expect(asked(env, 'alice-task')).toBe(0);

    expect((await env.run(['schedule', 'show', hourlyId])).stdout).toMatch(
      /state +paused — paused: the user's last token/,
    );
    const refused = await env.run(['schedule', 'resume', hourlyId]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      `cannot resume ${hourlyId} "hourly": the user's last token was revoked on`,
    );
    expect(refused.stderr).toContain('oxydra token add --user alice');
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    await addToken(env, 'alice');
    const resumed = await env.run(['schedule', 'resume', hourlyId]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resumed ${hourlyId} "hourly"`);
    expect(asked(env, 'alice-task')).toBe(0);
    expect(auditEntries(env.workspace).map((e) => `${e.type} ${e.actor}`)).toEqual(
      expect.arrayContaining(['token_revoke cli', 'schedule_pause scheduler']),
    );
  }, 90_000);
});
