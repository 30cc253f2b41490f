/**
 * The README's no-key setup, a local OpenAI-compatible server the catalog cannot price, in every
 * feature that spends: `oxydra init --base-url` declares it free, so a scheduled run (under the
 * default scheduler.max_cost), a run with --max-cost, a delegation and a [budgets] cap all work
 * and cost $0; doctor and `schedule add` say which caps apply. Without the declaration the
 * scheduled run is refused with the cap that binds (scheduler.max_cost) and the way out. The
 * same workspace, under dollar caps, answers an A2A task (the A2A SDK's client, through the
 * real gateway) and an MCP `run_agent` call (the MCP SDK's client, through `oxydra mcp serve`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskState } from '@a2a-js/sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { a2aClient, a2aMessage, partsText } from '@oxydra/gateway/testing/a2a-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { OXYDRA_BIN } from './helpers.js';

let env: AgentEnv | undefined;
let gateway: GatewayDaemon | undefined;
let mcp: Client | undefined;
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
  gateway?.child.kill('SIGTERM');
  await gateway?.exited;
  gateway = undefined;
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
      | { costUsd: number | null }
      | undefined;
    expect(done, run.stdout).toBeDefined();
    expect(done!.costUsd).toBe(0);
    expect(run.stdout).toContain('Done: facts found.');
    const budget = await e.run(['budget', 'show']);
    expect(budget.status, budget.stderr).toBe(0);
    expect(budget.stdout).toContain('$0.0000');
  });

  it('an A2A task and an MCP run_agent call under dollar caps complete at $0', async () => {
    const e = await localModel([
      { match: { lastMessageContains: 'over a2a' }, reply: { text: 'A2A: done locally.' }, times: 'always' },
      { match: { lastMessageContains: 'over mcp' }, reply: { text: 'MCP: done locally.' }, times: 'always' },
    ]);
    await edit(e, (text) => `${text}\n[budgets]\nuser_daily_usd = 0.01\n`);
    const capped = await e.run(['config', 'set', 'runtime.max_cost', '0.05']);
    expect(capped.status, capped.stderr).toBe(0);

    gateway = await GatewayDaemon.start(e);
    const client = await a2aClient(gateway.url, generatedToken(e));
    let state: number | undefined;
    let answer = '';
    for await (const event of client.sendMessageStream(a2aMessage('please work over a2a'))) {
      const payload = event.payload;
      if (payload?.$case === 'statusUpdate') state = payload.value.status?.state;
      if (payload?.$case === 'artifactUpdate') answer = partsText(payload.value.artifact?.parts);
    }
    expect(state, gateway.stderr).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(answer).toBe('A2A: done locally.');

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [OXYDRA_BIN, 'mcp', 'serve'],
      cwd: e.workspace,
      env: e.sandbox.env as Record<string, string>,
      stderr: 'pipe',
    });
    let serverLog = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      serverLog += chunk.toString();
    });
    mcp = new Client({ name: 'oxydra-test', version: '1.0.0' });
    await mcp.connect(transport);
    const result = await mcp.callTool({ name: 'run_agent', arguments: { prompt: 'please work over mcp' } });
    expect(result.isError, serverLog).toBeFalsy();
    expect(result.content).toEqual([{ type: 'text', text: 'MCP: done locally.' }]);
    expect(result.structuredContent).toMatchObject({ status: 'completed', cost_usd: 0 });

    const budget = await e.run(['budget', 'show']);
    expect(budget.status, budget.stderr).toBe(0);
    expect(budget.stdout).toContain('$0.0000');
  });
});
