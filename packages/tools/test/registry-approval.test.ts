/** ToolRegistry's approval of privileged calls (auto, ask, deny, needsApproval) and its audit records. */
import type { ApprovalRequest } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { type ApprovalRecord, ToolRegistry } from '../src/index.js';
import { context } from './helpers.js';
import { call, recorder } from './registry-helpers.js';

describe('ToolRegistry: approval audit records', () => {
  it('reports every decision on a privileged call, scrubbed, and none for other tools', async () => {
    const records: ApprovalRecord[] = [];
    const rec = recorder();
    const tools = [rec.tool('shell_exec', 'privileged'), rec.tool('look', 'read_only')];
    const make = (approval: 'auto' | 'ask' | 'deny') =>
      new ToolRegistry(tools, {
        approval,
        secrets: ['sk-secret-value-1'],
        onApproval: (r) => records.push(r),
      });
    const args = { text: 'echo sk-secret-value-1' };
    await make('auto').execute(call('shell_exec', args), context('/', { sessionId: 's1' }));
    await make('deny').execute(call('shell_exec', args), context('/'));
    await make('ask').execute(call('shell_exec', args), context('/'));
    await make('ask').execute(call('shell_exec', args), context('/', { approve: async () => false }));
    await make('ask').execute(call('shell_exec', args), context('/', { approve: async () => true }));
    await make('auto').execute(call('look'), context('/'));
    expect(records.map((r) => [r.tool, r.approved, r.by])).toEqual([
      ['shell_exec', true, 'auto'],
      ['shell_exec', false, 'deny'],
      ['shell_exec', false, 'no_approver'],
      ['shell_exec', false, 'user'],
      ['shell_exec', true, 'user'],
    ]);
    expect(records[0]!.sessionId).toBe('s1');
    expect(JSON.stringify(records)).not.toContain('sk-secret-value-1');
    expect(records[0]!.summary).toContain('[REDACTED]');
  });
});

describe('ToolRegistry: approval of privileged tools', () => {
  const setup = (approval: 'auto' | 'ask' | 'deny') => {
    const rec = recorder();
    const registry = new ToolRegistry([rec.tool('shell_exec', 'privileged'), rec.tool('look', 'read_only')], {
      approval,
    });
    return { ...rec, registry };
  };

  it('auto: runs without asking', async () => {
    const { registry, runs } = setup('auto');
    const outcome = await registry.execute(
      call('shell_exec'),
      context('/', {
        approve: async () => {
          throw new Error('must not ask');
        },
      }),
    );
    expect(outcome).toMatchObject({ isError: false, content: 'hi' });
    expect(runs).toHaveLength(1);
  });

  it('ask + yes: asks with the call and a summary, then runs', async () => {
    const { registry, runs } = setup('ask');
    const asked: ApprovalRequest[] = [];
    const outcome = await registry.execute(
      call('shell_exec', { text: 'ls' }),
      context('/', {
        approve: async (request) => {
          asked.push(request);
          return true;
        },
      }),
    );
    expect(asked).toEqual([
      {
        toolName: 'shell_exec',
        arguments: { text: 'ls' },
        summary: 'shell_exec {"text":"ls"}',
        // The call's own signal: the asker closes the question when the call is given up.
        signal: expect.any(AbortSignal),
      },
    ]);
    expect(outcome.content).toBe('ls');
    expect(runs).toHaveLength(1);
  });

  it('ask + no: refuses without running', async () => {
    const { registry, runs } = setup('ask');
    const outcome = await registry.execute(call('shell_exec'), context('/', { approve: async () => false }));
    expect(outcome).toMatchObject({
      isError: true,
      content: 'The user declined to run shell_exec: shell_exec {"text":"hi"}',
    });
    expect(runs).toEqual([]);
  });

  it('ask with nobody to answer: refuses and says how to allow it', async () => {
    const { registry, runs } = setup('ask');
    const outcome = await registry.execute(call('shell_exec'), context('/'));
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toContain('--yes');
    expect(outcome.content).toContain('[tools] approval = "auto"');
    expect(runs).toEqual([]);
  });

  it('ask where approving fails: refuses with the reason', async () => {
    const { registry, runs } = setup('ask');
    const outcome = await registry.execute(
      call('shell_exec'),
      context('/', {
        approve: async () => {
          throw new Error('terminal closed');
        },
      }),
    );
    expect(outcome.content).toBe('shell_exec was not approved: asking for approval failed: terminal closed');
    expect(runs).toEqual([]);
  });

  it('deny: refuses privileged tools, not the others', async () => {
    const { registry, runs } = setup('deny');
    const refused = await registry.execute(call('shell_exec'), context('/', { approve: async () => true }));
    expect(refused).toMatchObject({
      isError: true,
      content: 'shell_exec is disabled by [tools] approval = "deny"',
    });
    const allowed = await registry.execute(call('look'), context('/'));
    expect(allowed).toMatchObject({ isError: false, content: 'hi' });
    expect(runs).toEqual([{ text: 'hi' }]);
  });

  it('read-only and side-effecting tools never ask', async () => {
    const rec = recorder();
    const registry = new ToolRegistry([rec.tool('write', 'side_effecting')], { approval: 'ask' });
    const outcome = await registry.execute(call('write'), context('/'));
    expect(outcome.content).toBe('hi');
  });

  it("a tool's needsApproval makes just those calls ask, as privileged ones do", async () => {
    const rec = recorder();
    const sends = {
      ...rec.tool('send', 'side_effecting'),
      needsApproval: (args: Record<string, unknown>) => args.text === 'far',
    };
    const asked: string[] = [];
    const registry = new ToolRegistry([sends], { approval: 'ask' });
    const approve = async (request: ApprovalRequest) => {
      asked.push(String(request.arguments.text));
      return false;
    };
    const near = await registry.execute(call('send', { text: 'near' }), context('/', { approve }));
    const far = await registry.execute(call('send', { text: 'far' }), context('/', { approve }));
    expect(near.content).toBe('near');
    expect(far).toMatchObject({
      isError: true,
      content: 'The user declined to run send: send {"text":"far"}',
    });
    expect(asked).toEqual(['far']);
    expect(rec.runs).toEqual([{ text: 'near' }]);
  });
});
