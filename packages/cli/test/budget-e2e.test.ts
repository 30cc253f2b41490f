/**
 * Spending caps through the real binary: `oxydra budget set` caps the terminal user, a run
 * that would pass the cap stops with the cap, the spend and the reset time, the cap holds
 * for the next process (restart), `budget show` reports it and `budget reset` lifts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv;
beforeAll(async () => {
  // 100,000 prompt tokens of gpt-4o-mini: $0.015 a call; reserve_usd $0.02 a call.
  env = await AgentEnv.start(
    E2E_APIS[0]!,
    [
      {
        reply: {
          toolCalls: [{ name: 'file_list', arguments: { path: '.' } }],
          usage: { input: 100_000, output: 0 },
        },
        times: 'always',
      },
    ],
    '\n[budgets]\nreserve_usd = 0.02\n',
  );
});
afterAll(() => env.close());

describe('oxydra budget', () => {
  it('caps a user, stops the run naming the cap, holds across processes, and resets', async () => {
    const set = await env.run(['budget', 'set', '--user', 'local', '--daily', '0.05']);
    expect(set.status).toBe(0);
    expect(set.stdout).toContain('user local: daily_usd set to 0.05');

    const run = await env.run(['run', 'list the files forever']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /daily spending cap reached for user local: \$0\.0450 of \$0\.0500 used.*resets \d{4}-\d\d-\d\d 00:00 UTC/,
    );
    const calls = env.mock.requests.length;
    expect(calls).toBe(3);

    const again = await env.run(['run', 'one more']);
    expect(again.status).toBe(1);
    expect(env.mock.requests.length).toBe(calls);

    const shown = await env.run(['budget', 'show']);
    expect(shown.stdout).toMatch(/user:local: today \$0\.0450 \(3 calls\)/);
    expect(shown.stdout).toMatch(/daily_usd +\$0\.0450 of \$0\.0500 used/);
    const json = JSON.parse((await env.run(['budget', 'show', '--json'])).stdout) as { scope: string }[];
    expect(json.map((s) => s.scope)).toContain('agent:default');

    expect((await env.run(['budget', 'reset', '--user', 'local'])).status).toBe(0);
    await env.run(['run', 'after the reset']);
    expect(env.mock.requests.length).toBeGreaterThan(calls);
    const audit = JSON.parse(
      (await env.run(['audit', 'list', '--json', '--type', 'budget_change'])).stdout,
    ) as unknown[];
    expect(audit).toHaveLength(1);
  });

  it('refuses bad flags with a usage error (exit 2)', async () => {
    const both = await env.run(['budget', 'set', '--user', 'a', '--agent', 'b', '--daily', '1']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--user <id> or --agent <name>');
    const negative = await env.run(['budget', 'set', '--user', 'a', '--daily', '-3']);
    expect(negative.status).toBe(2);
    expect(negative.stderr).toContain('--daily');
  });
});
