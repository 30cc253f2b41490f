import { Buffer } from 'node:buffer';
import type { ApprovalRequest, Tool, ToolContext } from '@oxydra/types';
import { Cancelled } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ApprovalRecord, createCoreTools, defineTool, ToolRegistry } from '../src/index.js';
import { context, makeWorkspace, shellConfig, type Workspace } from './helpers.js';

/** Records every run, so tests can assert a tool did or did not execute. */
function recorder() {
  const runs: Record<string, unknown>[] = [];
  const signals: AbortSignal[] = [];
  const tool = (
    name: string,
    safety: Tool['safety'],
    reply: (args: { text: string }) => string = (a) => a.text,
  ) =>
    defineTool({
      name,
      description: `${name} for tests`,
      parameters: z.object({ text: z.string() }),
      safety,
      execute: async (args, ctx) => {
        runs.push(args);
        signals.push(ctx.signal);
        return reply(args);
      },
    });
  return { runs, signals, tool };
}

/** Waits until its signal aborts (or ~forever), then reports it. */
function waiter(name: string, timeoutMs?: number) {
  const seen: { signal?: AbortSignal } = {};
  const tool = defineTool({
    name,
    description: 'waits',
    parameters: z.object({}),
    safety: 'read_only',
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    execute: (_args, ctx) => {
      seen.signal = ctx.signal;
      return new Promise<string>((_resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('never aborted')), 60_000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Error('aborted'));
        });
      });
    },
  });
  return { tool, seen };
}

const call = (name: string, args: Record<string, unknown> = { text: 'hi' }, parseError?: string) => ({
  id: 'c1',
  name,
  arguments: args,
  ...(parseError === undefined ? {} : { parseError }),
});

describe('ToolRegistry: specs', () => {
  it('offers the allowed tools as ToolSpecs only', () => {
    const { tool } = recorder();
    const registry = new ToolRegistry([tool('echo', 'read_only'), tool('shout', 'read_only')], {
      allow: ['echo'],
    });
    const specs = registry.specs();
    expect(specs.map((spec) => spec.name)).toEqual(['echo']);
    expect(Object.keys(specs[0] ?? {}).sort()).toEqual(['description', 'name', 'parameters', 'safety']);
    expect(registry.spec('echo')?.parameters).toEqual({
      type: 'object',
      properties: { text: { type: 'string' } },
      required: ['text'],
    });
    expect(registry.spec('shout')).toBeUndefined();
  });

  it('refuses two tools with one name', () => {
    const { tool } = recorder();
    expect(() => new ToolRegistry([tool('echo', 'read_only'), tool('echo', 'read_only')])).toThrow(
      'two tools are named "echo"',
    );
  });
});

describe('ToolRegistry: pipeline branches', () => {
  it('runs a valid call and measures it', async () => {
    const { tool, runs } = recorder();
    const outcome = await new ToolRegistry([tool('echo', 'read_only')]).execute(call('echo'), context('/'));
    expect(outcome).toMatchObject({ content: 'hi', isError: false });
    expect(typeof outcome.durationMs).toBe('number');
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(runs).toEqual([{ text: 'hi' }]);
  });

  it('answers an unknown tool with the available ones and a did-you-mean', async () => {
    const { tool } = recorder();
    const registry = new ToolRegistry([tool('file_read', 'read_only'), tool('file_list', 'read_only')]);
    const outcome = await registry.execute(call('file_raed'), context('/'));
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toBe(
      'Unknown tool "file_raed" (did you mean "file_read"?). Available tools: file_read, file_list.',
    );
  });

  it('treats a tool outside the allowlist as unknown', async () => {
    const { tool, runs } = recorder();
    const registry = new ToolRegistry([tool('echo', 'read_only'), tool('secret', 'read_only')], {
      allow: ['echo'],
    });
    const outcome = await registry.execute(call('secret'), context('/'));
    expect(outcome.content).toBe('Unknown tool "secret". Available tools: echo.');
    expect(runs).toEqual([]);
  });

  it('reports a JSON parse error before validating, and does not run the tool', async () => {
    const { tool, runs } = recorder();
    const outcome = await new ToolRegistry([tool('echo', 'read_only')]).execute(
      call('echo', {}, 'Unexpected end of JSON input'),
      context('/'),
    );
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toBe(
      'The arguments for echo are not valid JSON: Unexpected end of JSON input. ' +
        'Send the call again with the arguments as one JSON object.',
    );
    expect(runs).toEqual([]);
  });

  it("reports zod's messages with key paths for invalid arguments", async () => {
    const workspace = makeWorkspace();
    try {
      const registry = new ToolRegistry(createCoreTools({ shell: shellConfig() }), { approval: 'auto' });
      const outcome = await registry.execute(
        call('file_edit', { path: 'a.txt', new_text: 'x' }),
        context(workspace.root),
      );
      expect(outcome).toMatchObject({
        isError: true,
        content: 'Invalid arguments for file_edit: old_text: expected string, received undefined',
      });
    } finally {
      workspace.cleanup();
    }
  });

  it('validates before asking for approval', async () => {
    const { tool, runs } = recorder();
    const asked: ApprovalRequest[] = [];
    const outcome = await new ToolRegistry([tool('danger', 'privileged')], { approval: 'ask' }).execute(
      call('danger', { text: 5 }),
      context('/', {
        approve: async (request) => {
          asked.push(request);
          return true;
        },
      }),
    );
    expect(outcome.content).toBe('Invalid arguments for danger: text: expected string, received number');
    expect(asked).toEqual([]);
    expect(runs).toEqual([]);
  });

  it('turns a thrown error into "Tool execution failed"', async () => {
    const { tool } = recorder();
    const boom = tool('boom', 'read_only', () => {
      throw new Error('disk on fire');
    });
    const outcome = await new ToolRegistry([boom]).execute(call('boom'), context('/'));
    expect(outcome).toMatchObject({ isError: true, content: 'Tool execution failed: disk on fire' });
  });

  it('passes a ToolResult through, data included', async () => {
    const custom = defineTool({
      name: 'custom',
      description: 'custom',
      parameters: z.object({}),
      safety: 'read_only',
      execute: async () => ({ content: 'not found', isError: true, data: { hits: 0 } }),
    });
    const outcome = await new ToolRegistry([custom]).execute(call('custom', {}), context('/'));
    expect(outcome).toMatchObject({ content: 'not found', isError: true, data: { hits: 0 } });
  });

  it('runs a plain Tool (not from defineTool) with the raw arguments', async () => {
    const plain: Tool = {
      name: 'plain',
      description: 'plain',
      parameters: { type: 'object' },
      safety: 'read_only',
      execute: async (args) => `got ${JSON.stringify(args)}`,
    };
    const outcome = await new ToolRegistry([plain]).execute(call('plain', { a: 1 }), context('/'));
    expect(outcome.content).toBe('got {"a":1}');
  });
});

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

describe('ToolRegistry: timeout', () => {
  it("aborts the tool's signal and answers with the tool's own timeout", async () => {
    const { tool, seen } = waiter('slow', 50);
    const outcome = await new ToolRegistry([tool], { defaultTimeoutMs: 60_000 }).execute(
      call('slow', {}),
      context('/'),
    );
    expect(outcome).toMatchObject({ isError: true, content: 'slow timed out after 0.05 s' });
    expect(seen.signal?.aborted).toBe(true);
  });

  it('uses defaultTimeoutMs for tools without a timeout', async () => {
    const { tool, seen } = waiter('slow');
    const outcome = await new ToolRegistry([tool], { defaultTimeoutMs: 30 }).execute(
      call('slow', {}),
      context('/'),
    );
    expect(outcome.content).toBe('slow timed out after 0.03 s');
    expect(seen.signal?.aborted).toBe(true);
  });

  it('answers even when the tool ignores its signal', async () => {
    const stubborn = defineTool({
      name: 'stubborn',
      description: 'ignores abort',
      parameters: z.object({}),
      safety: 'read_only',
      timeoutMs: 20,
      execute: () => new Promise<string>((resolve) => setTimeout(() => resolve('late'), 2000)),
    });
    const outcome = await new ToolRegistry([stubborn]).execute(call('stubborn', {}), context('/'));
    expect(outcome.content).toBe('stubborn timed out after 0.02 s');
  });
});

describe('ToolRegistry: cancellation', () => {
  it('throws Cancelled when the signal is already aborted, without running the tool', async () => {
    const { tool, runs } = recorder();
    const controller = new AbortController();
    controller.abort();
    await expect(
      new ToolRegistry([tool('echo', 'read_only')]).execute(
        call('echo'),
        context('/', { signal: controller.signal }),
      ),
    ).rejects.toBeInstanceOf(Cancelled);
    expect(runs).toEqual([]);
  });

  it("throws Cancelled when the run is cancelled mid-call, and aborts the tool's signal", async () => {
    const { tool, seen } = waiter('slow');
    const controller = new AbortController();
    const pending = new ToolRegistry([tool]).execute(
      call('slow', {}),
      context('/', { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(Cancelled);
    expect(seen.signal?.aborted).toBe(true);
  });

  it('throws Cancelled when cancelled while waiting for approval', async () => {
    const { tool, runs } = recorder();
    const controller = new AbortController();
    const ctx: ToolContext = context('/', {
      signal: controller.signal,
      approve: () =>
        new Promise<boolean>((_resolve, reject) => {
          controller.signal.addEventListener('abort', () => reject(new Error('prompt closed')));
          setTimeout(() => controller.abort(), 10);
        }),
    });
    await expect(
      new ToolRegistry([tool('shell_exec', 'privileged')], { approval: 'ask' }).execute(
        call('shell_exec'),
        ctx,
      ),
    ).rejects.toBeInstanceOf(Cancelled);
    expect(runs).toEqual([]);
  });
});

describe('ToolRegistry: truncation and scrubbing', () => {
  let workspace: Workspace | undefined;
  afterEach(() => workspace?.cleanup());

  it('cuts output to maxOutputBytes on a UTF-8 boundary with the exact suffix', async () => {
    const { tool } = recorder();
    const text = 'é'.repeat(100); // 200 bytes, two per character
    const registry = new ToolRegistry([tool('big', 'read_only')], { maxOutputBytes: 64 });
    const outcome = await registry.execute(call('big', { text }), context('/'));
    const suffix = '\n[output truncated — original size: 200 bytes]';
    // 64 - 48 bytes of suffix leaves 16 bytes: 8 whole characters.
    expect(Buffer.byteLength(suffix)).toBe(48);
    expect(outcome.content).toBe('é'.repeat(8) + suffix);
    expect(outcome.isError).toBe(false);

    // With an odd room the cut falls inside a character, which is dropped whole.
    const odd = await new ToolRegistry([tool('big', 'read_only')], { maxOutputBytes: 65 }).execute(
      call('big', { text }),
      context('/'),
    );
    expect(odd.content).toBe('é'.repeat(8) + suffix);
    expect(odd.content).not.toContain('\uFFFD');
  });

  it('leaves output within the cap alone and defaults the cap to 16 KiB', async () => {
    const { tool } = recorder();
    const registry = new ToolRegistry([tool('big', 'read_only')]);
    const exact = 'x'.repeat(16_384);
    expect((await registry.execute(call('big', { text: exact }), context('/'))).content).toBe(exact);
    const over = await registry.execute(call('big', { text: `${exact}y` }), context('/'));
    expect(Buffer.byteLength(over.content)).toBeLessThanOrEqual(16_384);
    expect(over.content.endsWith('\n[output truncated — original size: 16385 bytes]')).toBe(true);
  });

  it('rewrites host paths and redacts secrets in content and data', async () => {
    workspace = makeWorkspace();
    const hostPath = workspace.root;
    const leaky = defineTool({
      name: 'leaky',
      description: 'leaks',
      parameters: z.object({}),
      safety: 'read_only',
      execute: async () => ({
        content: `wrote ${hostPath}/notes.md with key sk-test-0123456789abcdef and password=hunter22`,
        data: { file: `${hostPath}/notes.md`, key: 'sk-test-0123456789abcdef' },
      }),
    });
    const registry = new ToolRegistry([leaky], {
      secrets: ['sk-test-0123456789abcdef'],
      hostPaths: [{ from: hostPath, to: '/shared' }],
    });
    const outcome = await registry.execute(call('leaky', {}), context(workspace.root));
    expect(outcome.content).toBe('wrote /shared/notes.md with key [REDACTED] and password=[REDACTED]');
    expect(outcome.data).toEqual({ file: '/shared/notes.md', key: '[REDACTED]' });
  });

  it('scrubs error results too', async () => {
    const { tool } = recorder();
    const failing = tool('fails', 'read_only', () => {
      throw new Error('could not open /srv/alice/ws/db with token=abc123secret');
    });
    const outcome = await new ToolRegistry([failing], {
      hostPaths: [{ from: '/srv/alice/ws', to: '/shared' }],
    }).execute(call('fails'), context('/'));
    expect(outcome.content).toBe('Tool execution failed: could not open /shared/db with token=[REDACTED]');
  });
});
