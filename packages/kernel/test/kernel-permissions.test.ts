/**
 * Per-agent permissions: a tool outside allowed_tools is not offered and, called anyway, is a
 * tool error and an access_denied audit entry; allowed_paths holds the file tools to its globs
 * (links followed); can_delegate = false and network = "off" remove those tools; max_run_secs
 * bounds a run.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

const toolNames = (body: unknown) =>
  ((body as { tools?: { function: { name: string } }[] }).tools ?? []).map((tool) => tool.function.name);
const lastToolResult = (body: unknown) =>
  (body as { messages: { role: string; content: string }[] }).messages.filter((m) => m.role === 'tool').at(-1)
    ?.content ?? '';

describe('agent permissions', () => {
  it('hides a tool outside allowed_tools and refuses a call to it with an audit entry', async () => {
    const { kernel, mock } = await testKernel(
      [
        { reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: 'echo hi > pwned.txt' } }] } },
        { reply: { text: 'ok' }, times: 'always' },
      ],
      { agents: { reader: { permissions: { allowed_tools: ['file_read', 'file_list'] } } } },
    );
    const result = await kernel.agents.spawn({ agent: 'reader', prompt: 'try it' }).result;
    expect(result.status).toBe('completed');
    expect(toolNames(mock.requests[0]!.body).sort()).toEqual(['file_list', 'file_read']);
    expect(lastToolResult(mock.requests[1]!.body)).toContain(
      'Permission denied: this agent may not use shell_exec',
    );
    const [denial] = await (await kernel.service('audit')).list({ type: 'access_denied' });
    expect(denial).toMatchObject({
      actor: `agent:${result.agentId}`,
      resource: 'shell_exec',
      action: { data: { tool: 'shell_exec', permission: 'use_tool' } },
    });
  });

  it('holds the file tools to allowed_paths, following links, and audits each refusal', async () => {
    const { kernel, mock, workspace } = await testKernel(
      [
        {
          reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'notes/ok.md', content: 'fine' } }] },
        },
        {
          reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'src/main.ts', content: 'evil' } }] },
        },
        { reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes/escape/secret.txt' } }] } },
        { reply: { toolCalls: [{ name: 'file_read', arguments: { path: '../outside.txt' } }] } },
        { reply: { text: 'ok' }, times: 'always' },
      ],
      { permissions: { allowed_paths: ['notes/**'] } },
    );
    mkdirSync(join(workspace, 'notes'));
    mkdirSync(join(workspace, 'src'));
    writeFileSync(join(workspace, 'src', 'secret.txt'), 'secret');
    symlinkSync(join(workspace, 'src'), join(workspace, 'notes', 'escape'));
    await kernel.agents.spawn({ prompt: 'write' }).result;
    expect(lastToolResult(mock.requests[1]!.body)).not.toContain('Permission denied');
    for (const step of [2, 3, 4]) {
      expect(lastToolResult(mock.requests[step]!.body)).toContain(
        'Permission denied: this agent may not touch',
      );
    }
    expect(toolNames(mock.requests[0]!.body)).not.toContain('shell_exec');
    const denials = (await (await kernel.service('audit')).list({ type: 'access_denied' })).map(
      (entry) => entry.resource,
    );
    expect(denials).toEqual(['src/main.ts', 'notes/escape/secret.txt', '../outside.txt']);
  });

  it('removes delegation and web tools when the agent may not use them', async () => {
    const { kernel, mock } = await testKernel([{ reply: { text: 'ok' } }], {
      agents: { helper: { description: 'helps' } },
      permissions: { can_delegate: false, network: 'off' },
    });
    await kernel.agents.spawn({ prompt: 'hi' }).result;
    const offered = toolNames(mock.requests[0]!.body);
    expect(offered).toContain('file_read');
    for (const name of ['delegate_to_agent', 'web_fetch', 'web_search']) expect(offered).not.toContain(name);
  });

  it('offers the browser tools when enabled, and removes them from an agent without network', async () => {
    const on = await testKernel([{ reply: { text: 'ok' } }], { tools: { browser: { enabled: true } } });
    await on.kernel.agents.spawn({ prompt: 'hi' }).result;
    expect(toolNames(on.mock.requests[0]!.body)).toContain('browser_open');
    const off = await testKernel([{ reply: { text: 'ok' } }], {
      tools: { browser: { enabled: true } },
      permissions: { network: 'off' },
    });
    await off.kernel.agents.spawn({ prompt: 'hi' }).result;
    const offered = toolNames(off.mock.requests[0]!.body);
    for (const name of ['browser_open', 'browser_read', 'browser_click']) expect(offered).not.toContain(name);
  });
});
