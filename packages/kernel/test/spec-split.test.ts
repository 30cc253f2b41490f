/**
 * A spec run's work split across sub-agents (spec/split.ts), on a real kernel and a scripted
 * model: with three criteria of which two are marked independent by the crystallizing model,
 * each independent criterion runs in a sub-agent of the attempt's parent, told only its
 * criterion; a failed one is retried in its sub-agent alone; a spent dollar limit stops the split
 * before the next sub-agent, and no agent is left running. Unmarked criteria are not split.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioStep } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { runSpec, specInput } from '../src/exports/spec.js';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

const DIRECTIVE = {
  goal: 'write three notes',
  constraints: ['keep each note one line'],
  acceptance_criteria: ['file: a.txt exists', 'file: b.txt exists', 'file: c.txt exists'],
  independent: [2, 3],
};

const write = (path: string, usage?: { input: number; output: number }): ScenarioStep => ({
  reply: {
    toolCalls: [{ name: 'file_write', arguments: { path, content: 'note\n' } }],
    ...(usage ? { usage } : {}),
  },
});
const say = (text: string): ScenarioStep => ({ reply: { text } });
const crystallized: ScenarioStep = say(JSON.stringify(DIRECTIVE));

/** Two attempts of a split run, eight model calls. */
const C3_FAILS_ONCE: ScenarioStep[] = [
  crystallized,
  // Attempt 1: the parent does c1; c2's sub-agent writes b.txt; c3's only claims it did.
  write('a.txt'),
  say('a done'),
  write('b.txt'),
  say('b done'),
  say('c is done, trust me'),
  // Attempt 2: only c3's sub-agent runs again, and writes c.txt.
  write('c.txt'),
  say('c done'),
];

/** The text of the last user message of model call `index`. */
function lastUserText(mock: { requests: { body?: Record<string, unknown> }[] }, index: number): string {
  const messages = (mock.requests[index]?.body?.messages ?? []) as { role: string; content: unknown }[];
  const user = messages.filter((m) => m.role === 'user').at(-1);
  return typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
}

describe('a spec run split across sub-agents', () => {
  it('runs each independent criterion in its own sub-agent and retries only the failed one', async () => {
    const { kernel, mock, workspace } = await testKernel([
      ...C3_FAILS_ONCE,
      say('nobody else should be asked'),
    ]);
    const subAgents: [number, string, string][] = [];
    const outcome = await runSpec(kernel, {
      input: { request: 'write three notes' },
      spawn: {},
      onSubAgent: async (agent, attempt, criterion) => {
        subAgents.push([attempt, criterion.id, agent.id]);
      },
    });
    expect(outcome.passed, JSON.stringify(outcome)).toBe(true);
    expect(outcome.directive.criteria.map((c) => [c.id, c.independent ?? false])).toEqual([
      ['c1', false],
      ['c2', true],
      ['c3', true],
    ]);
    const [first, second] = outcome.attempts;
    expect(first!.results.map((r) => [r.id, r.passed])).toEqual([
      ['c1', true],
      ['c2', true],
      ['c3', false],
    ]);
    // Two sub-agents, one per independent criterion, both under the attempt's parent.
    expect(first!.subAgents!.map((s) => s.criterionId)).toEqual(['c2', 'c3']);
    for (const sub of first!.subAgents!) {
      expect(kernel.agents.get(sub.agentId)?.parentId).toBe(first!.agentId);
      expect(sub.name).toBe('default');
    }
    expect(subAgents.map(([n, id]) => [n, id])).toEqual([
      [1, 'c2'],
      [1, 'c3'],
      [2, 'c3'],
    ]);
    // The parent is told c1 only; each sub-agent the goal, the constraints and its criterion only.
    const parentPrompt = lastUserText(mock, 1);
    expect(parentPrompt).toContain('file: a.txt exists');
    expect(parentPrompt).not.toMatch(/[bc]\.txt/);
    const b = lastUserText(mock, 3);
    expect(b).toContain('write three notes');
    expect(b).toContain('- keep each note one line');
    expect(b).toContain('file: b.txt exists');
    expect(b).not.toMatch(/[ac]\.txt/);
    expect(lastUserText(mock, 5)).toContain('file: c.txt exists');
    expect(lastUserText(mock, 5)).not.toMatch(/[ab]\.txt/);

    // Attempt 2 re-ran c3's sub-agent alone, told what failed; the parent and c2 did not run.
    expect(second!.passed).toBe(true);
    expect(second!.agentId).toBe(first!.agentId);
    expect(second!.subAgents!.map((s) => s.criterionId)).toEqual(['c3']);
    const retry = lastUserText(mock, 6);
    expect(retry).toContain('Attempt 1 did not meet 1 acceptance criteria');
    expect(retry).toContain('c.txt does not exist');
    expect(retry).not.toMatch(/[ab]\.txt/);
    expect(mock.requests).toHaveLength(8);
    expect(existsSync(join(workspace, 'c.txt'))).toBe(true);
    // Nothing is left running: the idle parent ended with the run.
    expect(kernel.agents.list().filter((a) => a.status === 'idle' || a.status === 'running')).toEqual([]);
  });

  it("gives each sub-agent what is left of the run's dollar limit when its attempt begins", async () => {
    const { kernel } = await testKernel(C3_FAILS_ONCE);
    const outcome = await runSpec(kernel, {
      input: { request: 'write three notes' },
      spawn: { limits: { maxCostUsd: 1, maxTurns: 7 } },
    });
    expect(outcome.passed, JSON.stringify(outcome)).toBe(true);
    // Eight calls of the same (default) usage: each costs an eighth of the run's spending.
    const call = outcome.costUsd! / 8;
    expect(call).toBeGreaterThan(0);
    const limitOf = (agentId: string) => kernel.checkBudget(agentId)!;
    const [first, second] = outcome.attempts;
    // Attempt 1 began after the crystallizing call; attempt 2 after it and attempt 1's five calls.
    for (const sub of first!.subAgents!) {
      expect(limitOf(sub.agentId).costUsd.limit).toBeCloseTo(1 - call, 12);
      expect(limitOf(sub.agentId).turns.limit).toBe(7);
    }
    expect(limitOf(first!.agentId).costUsd.limit).toBeCloseTo(1 - call, 12);
    expect(second!.subAgents).toHaveLength(1);
    expect(limitOf(second!.subAgents![0]!.agentId).costUsd.limit).toBeCloseTo(1 - 6 * call, 12);
  });

  it('stops the split cleanly when the dollar limit is spent by a sub-agent', async () => {
    const { kernel, mock } = await testKernel([
      crystallized,
      write('a.txt'),
      say('a done'),
      // c2's sub-agent spends more than the run's limit in one call.
      write('b.txt', { input: 20_000, output: 2_000 }),
      { reply: { text: 'should never be asked' }, times: 'always' },
    ]);
    const outcome = await runSpec(kernel, {
      input: { request: 'write three notes' },
      spawn: { limits: { maxCostUsd: 0.003 } },
    });
    expect(outcome.passed).toBe(false);
    expect(outcome.stopped).toMatch(/^budget: /);
    expect(outcome.attempts).toHaveLength(1);
    // c3's sub-agent never started, and the run made no call after the limit was spent.
    expect(outcome.attempts[0]!.subAgents!.map((s) => [s.criterionId, s.status])).toEqual([['c2', 'failed']]);
    expect(mock.requests).toHaveLength(4);
    expect(kernel.agents.list().filter((a) => a.status === 'idle' || a.status === 'running')).toEqual([]);
  });

  it('does not split criteria nobody marked independent', async () => {
    const { kernel, mock } = await testKernel([
      say(JSON.stringify({ ...DIRECTIVE, independent: [] })),
      write('a.txt'),
      write('b.txt'),
      write('c.txt'),
      say('all done'),
    ]);
    const outcome = await runSpec(kernel, { input: { request: 'write three notes' }, spawn: {} });
    expect(outcome.passed).toBe(true);
    expect(outcome.attempts[0]!.subAgents).toBeUndefined();
    expect(kernel.agents.list({ parentId: outcome.attempts[0]!.agentId })).toEqual([]);
    expect(lastUserText(mock, 1)).toMatch(/a\.txt[\s\S]*b\.txt[\s\S]*c\.txt/);
  });

  it("takes a client's split: true, and refuses a split that is not a boolean", () => {
    const spec = { acceptance_criteria: ['file: a.txt exists'], split: true };
    expect(specInput('p', spec, 'ask').input.split).toBe(true);
    expect(
      specInput('p', { acceptance_criteria: ['file: a.txt exists'] }, 'ask').input.split,
    ).toBeUndefined();
    expect(() => specInput('p', { ...spec, split: 'yes' } as never, 'ask')).toThrow(/the spec is malformed/);
  });
});
