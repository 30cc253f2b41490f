/**
 * The README's no-key setup, a local OpenAI-compatible server the catalog cannot price, in every
 * feature that spends: `oxydra init --base-url` declares it free, so a scheduled run (under the
 * default scheduler.max_cost), a run with --max-cost, a delegation and a [budgets] cap all work
 * and cost $0; doctor and `schedule add` say which caps apply. Without the declaration the
 * scheduled run is refused with the cap that binds (scheduler.max_cost) and the way out.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** A workspace set up as the README's local-model quick start does, against the mock server. */
async function localModel(steps: Parameters<typeof AgentEnv.start>[1]): Promise<AgentEnv> {
  env = await AgentEnv.start(E2E_APIS[0]!, steps);
  const init = await env.run(['init', '--force', '--base-url', env.mock.url, '--model', 'llama3.2']);
  expect(init.status, init.stderr).toBe(0);
  return env;
}

const agentToml = (e: AgentEnv) => join(e.workspace, '.oxydra', 'agent.toml');

/** Edits the workspace's agent.toml as its owner would, then trusts the result again. */
async function edit(e: AgentEnv, change: (text: string) => string): Promise<void> {
  writeFileSync(agentToml(e), change(readFileSync(agentToml(e), 'utf8')));
  const trusted = await e.run(['trust', '--yes']);
  expect(trusted.status, trusted.stderr).toBe(0);
}

describe('a local model the catalog cannot price', () => {
  it('init declares it free: doctor and schedule add say so, and a scheduled run completes at $0', async () => {
    const e = await localModel([{ reply: { text: 'Report: all quiet.' }, times: 'always' }]);
    expect(readFileSync(agentToml(e), 'utf8')).toMatch(/^free = true$/m);
    const doctor = await e.run(['doctor']);
    expect(doctor.stdout).toMatch(/costs +local \/ llama3\.2 is free \(providers\.registry\.local\.free\)/);
    const added = await e.run(['schedule', 'add', '--name', 'report', '--every', '1h', 'give the report']);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toMatch(
      /each run: at most \d+ model calls, \d+ min and \$0\.5 \(scheduler\.max_cost\); local \/ llama3\.2 is free/,
    );
    const ran = await e.run(['schedule', 'run-now', 'report']);
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('Report: all quiet.');
    const runs = await e.run(['schedule', 'history', 'report', '--json']);
    expect(JSON.parse(runs.stdout)).toMatchObject([{ status: 'completed', costUsd: 0 }]);
  });

  it('without the declaration the scheduled run is refused naming scheduler.max_cost and free = true', async () => {
    const e = await localModel([{ reply: { text: 'never asked' }, times: 'always' }]);
    await edit(e, (text) => text.replace(/^free = true$/m, ''));
    const doctor = await e.run(['doctor']);
    expect(doctor.stdout).toMatch(/\[warn\] costs +the prices of llama3\.2 \(provider local\) are unknown/);
    expect(doctor.stdout).toContain('free = true under [providers.registry.local]');
    const added = await e.run(['schedule', 'add', '--name', 'report', '--every', '1h', 'give the report']);
    expect(added.stdout).toMatch(/warning: the prices of llama3\.2/);
    const ran = await e.run(['schedule', 'run-now', 'report']);
    expect(ran.status).not.toBe(0);
    const said = `${ran.stdout}${ran.stderr}`;
    expect(said).toContain('scheduler.max_cost is set ($0.5000)');
    expect(said).toContain('set free = true on [providers.registry.local]');
    expect(said).not.toContain('runtime.max_cost is set');
    expect(e.mock.requests.filter((request) => request.method === 'POST')).toHaveLength(0);
  });

  it('a run with --max-cost, a delegation and a [budgets] daily cap all work and cost $0', async () => {
    const e = await localModel([
      { match: { lastMessageContains: 'FIND-FACTS' }, reply: { text: 'Facts found.' } },
      { match: { lastToolResultContains: 'Facts found.' }, reply: { text: 'Done: facts found.' } },
      {
        match: { lastMessageContains: 'research this' },
        reply: {
          toolCalls: [{ name: 'delegate_to_agent', arguments: { agent: 'researcher', task: 'FIND-FACTS' } }],
        },
      },
    ]);
    await edit(
      e,
      (text) => `${text}
[agents.researcher]
description = "finds facts"
max_cost = 0.01

[budgets]
user_daily_usd = 0.01
`,
    );
    const run = await e.run(['run', '--json', '--max-cost', '0.05', 'research this']);
    expect(run.status, `${run.stderr}${run.stdout.slice(-600)}`).toBe(0);
    const done = run.events.find((event) => event.type === 'run_completed') as
      | { cost_usd: number | null }
      | undefined;
    expect(done, run.stdout).toBeDefined();
    expect(done!.cost_usd).toBe(0);
    expect(run.stdout).toContain('Done: facts found.');
    const budget = await e.run(['budget', 'show']);
    expect(budget.status, budget.stderr).toBe(0);
    expect(budget.stdout).toContain('$0.0000');
  });
});
