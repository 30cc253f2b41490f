/**
 * Approvals as an event and a reply: under approval = "ask", a spawn whose host answers gets
 * approval_requested events and the kernel waits for approvals.respond; no answer in time is a
 * deny; every decision is published (approval_resolved) and written to the audit log. A host
 * that answers nothing denies at once, saying how to allow it.
 */
import type { ScenarioStep } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel, KernelEvent } from '../src/index.js';
import { closeAll, collect, testKernel } from './helpers.js';

afterEach(closeAll);

const SHELL_THEN_REPORT: ScenarioStep[] = [
  {
    match: { callIndex: 0 },
    reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: 'echo approved-$((40+2))' } }] },
  },
  { reply: { text: 'reported' }, times: 'always' },
];

/** Answers each approval question of the stream with `allow` (undefined: never answers). */
function answering(kernel: Kernel, events: AsyncIterable<KernelEvent>, allow: boolean | undefined) {
  return (async () => {
    const seen: KernelEvent[] = [];
    for await (const envelope of events) {
      seen.push(envelope);
      if (envelope.event.type === 'approval_requested' && allow !== undefined) {
        expect(kernel.approvals.pending().map((p) => p.id)).toContain(envelope.event.id);
        expect(kernel.approvals.respond(envelope.event.id, allow)).toBe(true);
      }
    }
    return seen;
  })();
}

const toolResult = (mockBody: unknown) =>
  (mockBody as { messages: { role: string; content: string }[] }).messages.find((m) => m.role === 'tool')
    ?.content ?? '';

describe('approvals', () => {
  it('a "yes" lets the command run; the request and the decision are events and in the audit log', async () => {
    const { kernel, mock } = await testKernel(SHELL_THEN_REPORT, { tools: { approval: 'ask' } });
    const agent = kernel.agents.spawn({ prompt: 'run it', askApprovals: true });
    const events = await answering(kernel, agent.events, true);
    expect((await agent.result).status).toBe('completed');
    const requested = events.find((e) => e.event.type === 'approval_requested')!.event;
    expect(requested).toMatchObject({
      agentId: agent.id,
      tool: 'shell_exec',
      summary: expect.stringContaining('echo approved'),
    });
    expect(events.find((e) => e.event.type === 'approval_resolved')!.event).toMatchObject({
      allow: true,
      by: 'respond',
    });
    expect(toolResult(mock.requests[1]!.body)).toContain('approved-42');
    const approvals = await (await kernel.service('audit')).list({ type: 'approval' });
    expect(approvals).toEqual([
      expect.objectContaining({
        actor: 'user',
        resource: 'shell_exec',
        action: {
          type: 'approval',
          data: expect.objectContaining({ tool: 'shell_exec', approved: true, by: 'user' }),
        },
      }),
    ]);
    // The call and its outcome are entries too, after the decision that allowed them.
    const types = (await (await kernel.service('audit')).list()).map((entry) => entry.action.type);
    expect(types.indexOf('approval')).toBeLessThan(types.lastIndexOf('tool_result'));
    expect((await (await kernel.service('audit')).verify()).ok).toBe(true);
  });

  it('a "no" denies: the command does not run and the model is told', async () => {
    const { kernel, mock } = await testKernel(SHELL_THEN_REPORT, { tools: { approval: 'ask' } });
    const agent = kernel.agents.spawn({ prompt: 'run it', askApprovals: true });
    await answering(kernel, agent.events, false);
    expect(toolResult(mock.requests[1]!.body)).not.toContain('approved-42');
    expect(toolResult(mock.requests[1]!.body)).toMatch(/declined|denied|not approved/i);
  });

  it('an unanswered question times out to "deny" and says so', async () => {
    const { kernel, mock } = await testKernel(
      SHELL_THEN_REPORT,
      { tools: { approval: 'ask' } },
      { approvalTimeoutMs: 50 },
    );
    const agent = kernel.agents.spawn({ prompt: 'run it', askApprovals: true });
    const events = await answering(kernel, agent.events, undefined);
    expect(events.find((e) => e.event.type === 'approval_resolved')!.event).toMatchObject({
      allow: false,
      by: 'timeout',
    });
    expect(toolResult(mock.requests[1]!.body)).not.toContain('approved-42');
    expect(kernel.approvals.pending()).toEqual([]);
  });

  it("a question outlives its tool call's deadline: waiting on a person is not tool time; the approval timeout closes it", async () => {
    const { kernel } = await testKernel(
      SHELL_THEN_REPORT,
      { tools: { approval: 'ask', shell: { command_timeout_secs: 1 } } },
      { approvalTimeoutMs: 2_500 },
    );
    const agent = kernel.agents.spawn({ prompt: 'run it', askApprovals: true });
    const events = await answering(kernel, agent.events, undefined);
    expect(events.find((e) => e.event.type === 'approval_resolved')!.event).toMatchObject({
      allow: false,
      by: 'timeout',
    });
    expect(kernel.approvals.pending()).toEqual([]);
    expect((await agent.result).status).toBe('completed');
  });

  it('killing the agent while it waits resolves the question as cancelled', async () => {
    const { kernel } = await testKernel(SHELL_THEN_REPORT, { tools: { approval: 'ask' } });
    const agent = kernel.agents.spawn({ prompt: 'run it', askApprovals: true });
    const events: KernelEvent[] = [];
    for await (const envelope of agent.events) {
      events.push(envelope);
      if (envelope.event.type === 'approval_requested') void agent.cancel('stop');
    }
    expect(events.find((e) => e.event.type === 'approval_resolved')!.event).toMatchObject({
      allow: false,
      by: 'cancelled',
    });
    expect(kernel.agents.get(agent.id)?.status).toBe('killed');
  });

  it('two first questions at once wait in one queue, and each answer reaches its own', async () => {
    // The queue is made at the first question (its module loaded then): two asked together
    // must not each make one, or the first's answer would find no question.
    const { kernel } = await testKernel(
      [
        {
          match: { lastMessageContains: 'run it' },
          reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: 'echo approved-$((40+2))' } }] },
          times: 'always',
        },
        { reply: { text: 'reported' }, times: 'always' },
      ],
      { tools: { approval: 'ask' } },
    );
    const agents = [1, 2].map(() => kernel.agents.spawn({ prompt: 'run it', askApprovals: true }));
    const ids = await Promise.all(
      agents.map(async (agent) => {
        for await (const envelope of agent.events)
          if (envelope.event.type === 'approval_requested') return envelope.event.id;
        throw new Error(`${agent.id} asked nothing`);
      }),
    );
    expect(
      kernel.approvals
        .pending()
        .map((p) => p.id)
        .sort(),
    ).toEqual([...ids].sort());
    expect(ids.map((id) => kernel.approvals.respond(id, true))).toEqual([true, true]);
    expect((await Promise.all(agents.map((agent) => agent.result))).map((r) => r.status)).toEqual([
      'completed',
      'completed',
    ]);
  });

  it('a host nobody answers denies at once, naming the way out, and asks nothing', async () => {
    const { kernel, mock } = await testKernel(SHELL_THEN_REPORT, { tools: { approval: 'ask' } });
    const events = await collect(kernel.agents.spawn({ prompt: 'run it' }).events);
    expect(events.some((e) => e.event.type === 'approval_requested')).toBe(false);
    expect(toolResult(mock.requests[1]!.body)).toContain('approval = \\"auto\\"'.replaceAll('\\', ''));
    expect(respondUnknown(kernel)).toBe(false);
  });
});

function respondUnknown(kernel: Kernel): boolean {
  return kernel.approvals.respond('ap_doesnotexist', true);
}
