/**
 * ToolRegistry's pipeline for one call: the specs it offers, validation and errors, timeouts,
 * cancellation, and the output's truncation and scrubbing.
 */
import { Buffer } from 'node:buffer';
import type { ApprovalRequest, Tool, ToolContext } from '@oxydra/types';
import { Cancelled } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCoreTools, defineTool, ToolRegistry } from '../src/index.js';
import { context, makeWorkspace, shellConfig, type Workspace } from './helpers.js';
import { call, recorder, waiter } from './registry-helpers.js';

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
