/**
 * What an exited agent keeps while it stays listed (agent-table.ts, forgetInputs): its info and
 * how its turn ended, not the conversation a stateless request handed in nor the messages it
 * ended with. The spawner's own handle still has the full result.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, collect, testKernel, text } from './helpers.js';

afterEach(closeAll);

describe('exited agents', () => {
  it('stay listed with their result, without the messages they were given or ended with', async () => {
    const { kernel } = await testKernel([text('the answer', { input: 100, output: 10 })]);
    const controller = new AbortController();
    const history = [{ role: 'user' as const, content: 'x'.repeat(10_000) }];
    const agent = kernel.agents.spawn({
      prompt: 'answer',
      persist: false,
      history,
      userId: 'alice',
      signal: controller.signal,
    });
    await collect(agent.events);
    const own = await agent.result;
    expect(own.text).toBe('the answer');
    expect(own.messages.length).toBeGreaterThanOrEqual(3);

    const kept = await kernel.agents.wait(agent.id);
    expect(kept).toMatchObject({ status: 'completed', text: 'the answer', agentId: agent.id, turns: 1 });
    expect(kept.messages).toEqual([]);
    expect(kernel.agents.get(agent.id)).toMatchObject({ status: 'completed', userId: 'alice', turns: 1 });

    // The spawner's signal no longer reaches the exited agent.
    controller.abort();
    expect(kernel.agents.get(agent.id)?.status).toBe('completed');
    expect(kernel.agents.list({ status: 'completed' }).map((info) => info.id)).toContain(agent.id);
  });

  it('a failed turn stays readable through wait', async () => {
    const { kernel } = await testKernel([{ fault: { status: 400 }, times: 'always' }]);
    const agent = kernel.agents.spawn({ prompt: 'fail', persist: false });
    const own = await agent.result;
    expect(own.status).toBe('failed');
    const kept = await kernel.agents.wait(agent.id);
    expect(kept.status).toBe('failed');
    expect(kept.error?.message).toBe(own.error?.message);
    expect(kept.messages).toEqual([]);
  });
});
