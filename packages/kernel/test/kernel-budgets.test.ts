/**
 * Spending caps: reserved before each model call against what every process has spent and
 * reserved, so concurrent runs of one user cannot together pass a daily cap; kept in the
 * kernel database, so they survive a restart; a stop names the cap, the spend and the reset;
 * `budgets.set` applies to the next call and is audited; sub-agents' calls count too.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, secondKernel, testKernel } from './helpers.js';
import { runLongSession, SUMMARY_MARK, summarizingKernel } from './summary-scenario.js';

afterEach(closeAll);

// 100,000 prompt tokens of gpt-4o-mini ($0.15 per million): $0.015 a call.
const COSTLY = { input: 100_000, output: 0 };
const toolLoop = {
  reply: { toolCalls: [{ name: 'file_list', arguments: { path: '.' } }], usage: COSTLY },
  times: 'always' as const,
};
const CAPPED = { budgets: { user_daily_usd: 0.05, reserve_usd: 0.02 }, runtime: { max_turns: 50 } };

describe('spending caps', () => {
  it('two concurrent runs of one user cannot together pass the daily cap', async () => {
    const { kernel } = await testKernel([toolLoop], CAPPED);
    const a = kernel.agents.spawn({ prompt: 'list forever', userId: 'alice' });
    const b = kernel.agents.spawn({ prompt: 'list forever too', userId: 'alice' });
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect([ra.status, rb.status]).toEqual(['failed', 'failed']);
    expect(ra.error?.code).toBe('budget_exceeded');
    const [alice] = (await (await kernel.service('budgets')).show()).filter((s) => s.scope === 'user:alice');
    const daily = alice!.caps.find((cap) => cap.key === 'daily_usd')!;
    // Each call reserves $0.02 and costs $0.015: three calls fit, a fourth would not.
    expect(daily.used).toBeLessThanOrEqual(0.05);
    expect(daily.used).toBeCloseTo(0.045, 6);
    expect(alice!.today.calls).toBe(3);
    expect(daily.reserved).toBe(0);
    const message = (ra.error ?? rb.error)!.message;
    expect(message).toMatch(/daily spending cap reached for user alice: \$0\.0\d+ of \$0\.0500 used/);
    expect(message).toMatch(/resets \d{4}-\d\d-\d\d 00:00 UTC \(in \d+/);
    expect(
      (await (await kernel.service('audit')).list({ type: 'budget_stop' })).length,
    ).toBeGreaterThanOrEqual(1);
  });

  it('holds across two kernels (processes) on one workspace', async () => {
    // Memory off: two memory clients on one file in one process would wait on each other
    // (separate processes do not); the caps live in the kernel database either way.
    const first = await testKernel([toolLoop], { ...CAPPED, memory: { enabled: false } });
    const second = await secondKernel(first);
    try {
      const runs = await Promise.all([
        first.kernel.agents.spawn({ prompt: 'one', userId: 'bob' }).result,
        second.agents.spawn({ prompt: 'two', userId: 'bob' }).result,
      ]);
      expect(runs.map((r) => r.error?.code)).toEqual(['budget_exceeded', 'budget_exceeded']);
      const bob = (await (await second.service('budgets')).show()).find((s) => s.scope === 'user:bob')!;
      expect(bob.today.usd).toBeLessThanOrEqual(0.05);
      expect(bob.today.calls).toBe(3);
    } finally {
      await second.close();
    }
  });

  it('survives a restart: the spend is in the database, the next run is refused at once', async () => {
    const first = await testKernel([toolLoop], CAPPED);
    await first.kernel.agents.spawn({ prompt: 'spend it', userId: 'carol' }).result;
    await first.kernel.close();
    // The next process on the same store (the same files, or the same PostgreSQL schema).
    const again = await secondKernel(first);
    try {
      const calls = first.mock.requests.length;
      const result = await again.agents.spawn({ prompt: 'more', userId: 'carol' }).result;
      expect(result.error?.code).toBe('budget_exceeded');
      expect(first.mock.requests.length).toBe(calls);
      // Another user is not affected.
      const dave = await (await again.service('budgets')).show();
      expect(dave.find((s) => s.scope === 'user:dave')).toBeUndefined();
    } finally {
      await again.close();
    }
  });

  it('applies a cap set at run time to the next call, audits the change, and reset forgets the spend', async () => {
    const { kernel } = await testKernel([toolLoop], {
      budgets: { reserve_usd: 0.02 },
      runtime: { max_turns: 4 },
    });
    await kernel.agents.spawn({ prompt: 'spend', userId: 'erin' }).result;
    await (await kernel.service('budgets')).set({ user: 'erin' }, 'daily_usd', 0.01, 'user:admin');
    const refused = await kernel.agents.spawn({ prompt: 'more', userId: 'erin' }).result;
    expect(refused.error?.message).toMatch(
      /daily spending cap reached for user erin.*cap from oxydra budget set/,
    );
    expect(await (await kernel.service('audit')).list({ type: 'budget_change' })).toEqual([
      expect.objectContaining({
        actor: 'user:admin',
        resource: 'user:erin',
        action: { type: 'budget_change', data: { key: 'daily_usd', value: 0.01 } },
      }),
    ]);
    await (await kernel.service('budgets')).reset({ user: 'erin' }, 'user:admin');
    const erin = (await (await kernel.service('budgets')).show()).find((s) => s.scope === 'user:erin')!;
    expect(erin.today.usd).toBe(0);
    await expect(
      async () => await (await kernel.service('budgets')).set({ user: 'erin' }, 'calls_per_window', 5, 'cli'),
    ).rejects.toThrow(/per-agent/);
  });

  it("counts a sub-agent's calls against its user's cap and its own agent's", async () => {
    const { kernel } = await testKernel(
      [
        {
          match: { lastMessageContains: 'delegate' },
          reply: {
            toolCalls: [{ name: 'delegate_to_agent', arguments: { agent: 'helper', task: 'list files' } }],
            usage: COSTLY,
          },
        },
        { match: { lastMessageContains: 'list files' }, reply: { text: 'listed', usage: COSTLY } },
        { reply: { text: 'done', usage: COSTLY }, times: 'always' },
      ],
      { agents: { helper: { description: 'lists files' } }, budgets: { reserve_usd: 0.02 } },
    );
    const result = await kernel.agents.spawn({ prompt: 'delegate it', userId: 'fay' }).result;
    expect(result.status).toBe('completed');
    const shown = await (await kernel.service('budgets')).show();
    expect(shown.find((s) => s.scope === 'user:fay')!.today.calls).toBe(3);
    expect(shown.find((s) => s.scope === 'agent:helper')!.today.calls).toBe(1);
  });

  it('enforces an agent’s calls per window', async () => {
    const { kernel } = await testKernel([toolLoop], {
      budgets: { agents: { default: { calls_per_window: 2 } } },
      runtime: { max_turns: 10 },
    });
    const result = await kernel.agents.spawn({ prompt: 'loop' }).result;
    expect(result.error?.message).toMatch(/model-call budget reached for agent default: 2 of 2 used/);
    expect(result.turns).toBe(2);
  });

  it("charges the summary model's calls to the agent's account and caps, and memory's embedding calls to its user", async () => {
    const { kernel, mock } = await summarizingKernel();
    await runLongSession(kernel);
    const summaryCalls = () => mock.requests.filter((r) => r.raw.includes(SUMMARY_MARK)).length;
    const embeddings = () => mock.requests.filter((r) => r.path === '/v1/embeddings').length;
    const scopes = async () => {
      const shown = await (await kernel.service('budgets')).show();
      return {
        gus: shown.find((s) => s.scope === 'user:gus')!,
        agent: shown.find((s) => s.scope === 'agent:default')!,
      };
    };
    // Memory indexes a turn and may summarise in the background after its answer, so the last
    // turn's embedding or summary call may still be under way here, or not yet made (a loaded CI
    // machine saw no embedding request yet): wait until there are both and every call the mock saw
    // is charged, counting the mock's calls afresh at each look.
    const { gus, agent, summaries } = await pollUntil(async () => {
      const summaries = summaryCalls();
      if (summaries === 0 || embeddings() === 0) return false;
      const { gus, agent } = await scopes();
      return (
        gus.today.calls === 4 + summaries + embeddings() &&
        agent.today.calls === 4 + summaries && { gus, agent, summaries }
      );
    }, "every summary and embedding call charged to the agent's and the user's scopes");
    // 4 turns of $0.0000021 each; each summary $0.0081 (50,000 in, 1,000 out at $0.15/$0.60 per million).
    const turns = (4 * (10 * 0.15 + 0.6)) / 1e6;
    const summaryUsd = (summaries * (50_000 * 0.15 + 1_000 * 0.6)) / 1e6;
    expect(gus.today.usd).toBeGreaterThan(turns + summaryUsd);
    // The agent's scope sees its turns and its summaries, not the user's memory.
    expect(agent.today.usd).toBeCloseTo(turns + summaryUsd, 9);
  });
});
