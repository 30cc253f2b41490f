/**
 * Sub-agents end to end: the real `oxydra` binary, the testkit's mock model (answering each
 * agent by its task), two [agents.<name>] entries. A parent delegates to both in one reply (they
 * run in parallel), `--json` shows the children's events with their agent ids, the parent's
 * --max-cost stops a child mid-run, and Ctrl+C on the parent leaves no child or sandbox process.
 */
import type { ScenarioStep } from '@oxydra/testkit';
import { pollUntil, processesLeftBehind, uniqueSleep } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const AGENTS = `
[agents.researcher]
description = "finds facts"
system_prompt = "You research."

[agents.writer]
description = "writes prose"
system_prompt = "You write."
`;

const delegate = (...calls: [string, string][]): ScenarioStep['reply'] => ({
  toolCalls: calls.map(([agent, task]) => ({ name: 'delegate_to_agent', arguments: { agent, task } })),
  usage: { input: 40, output: 4 },
});

type JsonLine = {
  type: string;
  agentId?: string;
  parentAgentId?: string;
  name?: string;
  error?: { code: string };
};

describe('oxydra run with sub-agents', () => {
  it('delegates to two agents in parallel; --json shows their events with agent ids; the answer uses both', async () => {
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        { match: { callIndex: 0 }, reply: delegate(['researcher', 'FIND-FACTS'], ['writer', 'WRITE-INTRO']) },
        {
          match: { lastMessageContains: 'FIND-FACTS' },
          reply: { text: 'fact: water boils at 100 C' },
          fault: { slowChunksMs: 30 },
        },
        { match: { lastMessageContains: 'WRITE-INTRO' }, reply: { text: 'intro: a short paragraph' } },
        { match: { lastToolResultContains: 'intro: a short' }, reply: { text: 'Report assembled.' } },
      ],
      AGENTS,
    );
    const out = await env.run(['run', '--json', 'build the report']);
    expect(out.status).toBe(0);
    const lines = out.events as unknown as JsonLine[];
    expect(lines.at(-1)).toMatchObject({ type: 'run_completed', text: 'Report assembled.' });
    const spawned = lines.filter((l) => l.type === 'agent_spawned');
    expect(spawned.map((l) => l.name).sort()).toEqual(['researcher', 'writer']);
    const parentId = spawned[0]!.parentAgentId!;
    expect(spawned.every((l) => l.parentAgentId === parentId && l.agentId !== parentId)).toBe(true);
    const childIds = new Set(spawned.map((l) => l.agentId));
    // Their own events carry their ids: each child streamed text and completed.
    for (const id of childIds) {
      expect(lines.some((l) => l.agentId === id && l.type === 'text_delta')).toBe(true);
      expect(lines.some((l) => l.agentId === id && l.type === 'run_completed')).toBe(true);
    }
    // In parallel: both were spawned before either completed.
    const firstDone = lines.findIndex((l) => l.type === 'run_completed' && childIds.has(l.agentId));
    expect(lines.findLastIndex((l) => l.type === 'agent_spawned')).toBeLessThan(firstDone);
    // The parent's own lines are unchanged: no agentId on them.
    expect(lines.filter((l) => l.type === 'turn_start' && l.agentId === undefined)).toHaveLength(2);
  });

  it("the parent's --max-cost stops a child mid-run (exit 1, budget_exceeded)", async () => {
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        { match: { callIndex: 0 }, reply: delegate(['researcher', 'COSTLY']) },
        {
          match: { lastMessageContains: 'COSTLY' },
          reply: {
            toolCalls: [{ name: 'file_list', arguments: {} }],
            usage: { input: 20_000, output: 2_000 },
          },
        },
        { reply: { text: 'never sent' }, times: 'always' },
      ],
      AGENTS,
    );
    const out = await env.run(['run', '--json', '--max-cost', '0.003', 'go']);
    expect(out.status).toBe(1);
    const lines = out.events as unknown as JsonLine[];
    const child = lines.find((l) => l.type === 'agent_spawned')!.agentId;
    expect(lines.find((l) => l.agentId === child && l.type === 'run_failed')).toMatchObject({
      error: { code: 'budget_exceeded' },
    });
    expect(lines.filter((l) => l.agentId === child && l.type === 'turn_start')).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({ type: 'run_failed', error: { code: 'budget_exceeded' } });
    expect(env.mock.requests.some((r) => r.raw.includes('never sent'))).toBe(false);
  });

  it('Ctrl+C on the parent cancels the running child and leaves no child or sandbox process', async () => {
    const sleep = uniqueSleep();
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        { match: { callIndex: 0 }, reply: delegate(['researcher', 'LONG-JOB']) },
        {
          match: { lastMessageContains: 'LONG-JOB' },
          reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: `sleep ${sleep}` } }] },
        },
        { reply: { text: 'never' }, times: 'always' },
      ],
      AGENTS,
    );
    const out = await env.run(['run', '--json', 'go'], async (child, stdout) => {
      // Wait until the child's command is running, then press Ctrl+C.
      await pollUntil(
        () => stdout().includes('"tool_execution_start"') && stdout().includes('shell_exec'),
        'the child to start its shell_exec',
        { timeoutMs: 20_000, intervalMs: 20 },
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      child.kill('SIGINT');
    });
    expect(out.status).toBe(130);
    const lines = out.events as unknown as JsonLine[];
    const exited = lines.filter((l) => l.type === 'agent_exited');
    expect(exited.map((l) => (l as { status?: string }).status)).toEqual(['killed']);
    expect(lines.at(-1)).toMatchObject({ type: 'run_failed', error: { code: 'cancelled' } });
    expect(await processesLeftBehind(`sleep ${sleep}`)).toEqual([]);
  });
});
