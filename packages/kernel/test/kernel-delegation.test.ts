/**
 * Sub-agents through delegate_to_agent: children are kernel agents under their caller, run in
 * parallel when one reply delegates twice, answer as the tool result, use the caller's
 * selection unless they have their own, spend against the caller's limits (a parent's max_cost
 * stops a child mid-run), die with their parent, and stop at the configured depth.
 */
import type { ScenarioStep } from '@oxydra/testkit';
import type { AgentConfigInput } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, collect, ownerSessions, testKernel } from './helpers.js';

afterEach(closeAll);

const AGENTS: AgentConfigInput = {
  agents: {
    alpha: { description: 'reads things', system_prompt: 'You are alpha.' },
    beta: {
      description: 'writes things',
      system_prompt: 'You are beta.',
      selection: { model: 'gpt-4.1-mini' },
    },
  },
};

const delegate = (...calls: [string, string][]): ScenarioStep['reply'] => ({
  toolCalls: calls.map(([agent, task]) => ({ name: 'delegate_to_agent', arguments: { agent, task } })),
  usage: { input: 50, output: 5 },
});

describe('delegate_to_agent', () => {
  it('runs two delegations of one reply in parallel; their answers are the tool results; events carry both ids', async () => {
    const { kernel, mock } = await testKernel(
      [
        { match: { callIndex: 0 }, reply: delegate(['alpha', 'ALPHA-TASK'], ['beta', 'BETA-TASK']) },
        {
          match: { lastMessageContains: 'ALPHA-TASK' },
          reply: { text: 'alpha found 41 files' },
          fault: { slowChunksMs: 40 },
        },
        { match: { lastMessageContains: 'BETA-TASK' }, reply: { text: 'beta wrote the report' } },
        { match: { lastToolResultContains: 'beta wrote' }, reply: { text: 'Both are done.' } },
      ],
      AGENTS,
    );
    const parent = kernel.agents.spawn({ prompt: 'split the work', selection: { model: 'gpt-4o' } });
    const events = await collect(parent.events);
    const result = await parent.result;
    expect(result).toMatchObject({ status: 'completed', text: 'Both are done.' });

    const spawned = events.filter((e) => e.event.type === 'agent_spawned' && e.agentId !== parent.id);
    expect(spawned.map((e) => e.event.type === 'agent_spawned' && e.event.name).sort()).toEqual([
      'alpha',
      'beta',
    ]);
    expect(spawned.every((e) => e.parentAgentId === parent.id)).toBe(true);
    // Parallel: both children started before either finished.
    const firstChildEnd = events.findIndex(
      (e) => e.agentId !== parent.id && e.event.type === 'run_completed',
    );
    const lastChildStart = events.findLastIndex(
      (e) => e.event.type === 'agent_spawned' && e.agentId !== parent.id,
    );
    expect(lastChildStart).toBeLessThan(firstChildEnd);
    // The children's answers are the parent's tool results.
    const lastCall = mock.requests.at(-1)!.body!.messages as { role: string; content: string }[];
    const toolResults = lastCall.filter((m) => m.role === 'tool').map((m) => m.content);
    expect(toolResults).toEqual(['alpha found 41 files', 'beta wrote the report']);
    // Selection: alpha has none of its own, so it runs the caller's (gpt-4o); beta runs its own.
    const modelFor = (task: string) =>
      mock.requests.find((r) => JSON.stringify(r.body?.messages).includes(task))?.body?.model;
    expect(modelFor('ALPHA-TASK')).toBe('gpt-4o');
    expect(modelFor('BETA-TASK')).toBe('gpt-4.1-mini');
    // A child recalls nothing by itself (its task says what it needs), so no sibling leaks in.
    expect(JSON.stringify(mock.requests[1]!.body)).not.toContain('Relevant context from memory');
    // Children are sub-agent sessions of the parent's session.
    const children = kernel.agents.list({ parentId: parent.id });
    expect(children.map((c) => c.status)).toEqual(['completed', 'completed']);
    const alpha = kernel.agents.get(spawned[0]!.agentId)!;
    expect(alpha.parentId).toBe(parent.id);
    expect((await (await ownerSessions(kernel)).get(alpha.sessionId!))?.parentSessionId).toBe(
      result.sessionId,
    );
  });

  it("a parent's max_cost stops its child mid-run, and then the parent", async () => {
    const { kernel } = await testKernel(
      [
        { match: { callIndex: 0 }, reply: delegate(['alpha', 'EXPENSIVE-TASK']) },
        {
          match: { lastMessageContains: 'EXPENSIVE-TASK' },
          reply: {
            toolCalls: [{ name: 'file_list', arguments: {} }],
            usage: { input: 20_000, output: 2_000 },
          },
        },
        { reply: { text: 'should never be asked' }, times: 'always' },
      ],
      AGENTS,
    );
    const parent = kernel.agents.spawn({ prompt: 'go', limits: { maxCostUsd: 0.003 } });
    const events = await collect(parent.events);
    const result = await parent.result;
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('budget_exceeded');
    const childEnd = events.find((e) => e.agentId !== parent.id && e.event.type === 'run_failed')!;
    expect(childEnd.event).toMatchObject({ error: { code: 'budget_exceeded' } });
    expect(JSON.stringify(childEnd.event)).toContain("agent default's budget (shared with its sub-agents)");
    // The child made exactly one call: the second was refused before it was sent.
    const childCalls = events.filter((e) => e.agentId === childEnd.agentId && e.event.type === 'turn_start');
    expect(childCalls).toHaveLength(1);
  });

  it('killing the parent kills the running child; both end killed and kill() waits for them', async () => {
    const { kernel } = await testKernel(
      [
        { match: { callIndex: 0 }, reply: delegate(['alpha', 'SLOW-TASK']) },
        {
          match: { lastMessageContains: 'SLOW-TASK' },
          reply: { text: 'one two three four five six seven eight nine ten' },
          fault: { slowChunksMs: 2000 },
        },
      ],
      AGENTS,
    );
    const parent = kernel.agents.spawn({ prompt: 'go' });
    const child = await new Promise<string>((resolve) => {
      void (async () => {
        for await (const e of parent.events) {
          if (e.event.type === 'text_delta' && e.agentId !== parent.id) resolve(e.agentId);
        }
      })();
    });
    expect(kernel.agents.get(child)?.status).toBe('running');
    await kernel.agents.kill(parent.id, 'test kill');
    expect(kernel.agents.get(parent.id)?.status).toBe('killed');
    expect(kernel.agents.get(child)?.status).toBe('killed');
    expect((await parent.result).status).toBe('cancelled');
    expect((await kernel.resources()).agents.active).toBe(0);
  });

  it('stops at the configured depth: a child cannot delegate further than max_delegation_depth', async () => {
    const { kernel } = await testKernel(
      [
        { match: { callIndex: 0 }, reply: delegate(['alpha', 'ALPHA-TASK']) },
        { match: { lastMessageContains: 'ALPHA-TASK' }, reply: delegate(['beta', 'BETA-TASK']) },
        {
          match: { lastToolResultContains: 'delegation is limited' },
          reply: { text: 'alpha could not delegate' },
        },
        { match: { lastToolResultContains: 'alpha could not' }, reply: { text: 'ok' } },
      ],
      { ...AGENTS, runtime: { max_delegation_depth: 1 } },
    );
    const result = await kernel.agents.spawn({ prompt: 'go' }).result;
    expect(result).toMatchObject({ status: 'completed', text: 'ok' });
  });

  it('offers no delegate tool when no other agent is configured, or when delegation is off', async () => {
    const none = await testKernel([]);
    expect(none.kernel.describe().tools).not.toContain('delegate_to_agent');
    const off = await testKernel([], { ...AGENTS, runtime: { max_delegation_depth: 0 } });
    expect(off.kernel.describe().tools).not.toContain('delegate_to_agent');
    const on = await testKernel([], AGENTS);
    expect(on.kernel.describe().tools).toContain('delegate_to_agent');
    // An agent is not offered itself.
    expect(on.kernel.describe({ agent: 'alpha' }).tools).toContain('delegate_to_agent');
  });
});
