/**
 * `oxydra mcp serve` through the real binary, driven by the official MCP SDK client over stdio:
 * tools/list; run_agent streams progress notifications and returns the answer; a cancelled
 * run_agent kills its agent (seen in the audit chain while the server runs on); memory_save and
 * memory_search; sessions_list and session_transcript; and the MCP Inspector's CLI mode lists
 * the tools too.
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { auditEntries, OXYDRA_BIN } from './helpers.js';

const INSPECTOR = fileURLToPath(
  new URL('../../../node_modules/@modelcontextprotocol/inspector-cli/build/index.js', import.meta.url),
);

let env: AgentEnv;
let client: Client;
let serverLog = '';

beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    {
      match: { lastMessageContains: 'slow task' },
      reply: { text: 'this answer takes a long time to arrive, word by word', textChunks: 40 },
      fault: { slowChunksMs: 1000 },
      times: 'always',
    },
    {
      match: { lastMessageContains: 'list the files' },
      reply: { toolCalls: [{ name: 'file_list', arguments: { path: '.' } }] },
    },
    { reply: { text: 'listed them: nothing much here' }, times: 'always' },
  ]);
  client = new Client({ name: 'oxydra-test', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [OXYDRA_BIN, 'mcp', 'serve', '--set', 'tools.approval=auto'],
    cwd: env.workspace,
    env: env.sandbox.env as Record<string, string>,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    serverLog += chunk.toString();
  });
  await client.connect(transport).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; the server said: ${serverLog}`);
  });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await env?.close();
});

describe('oxydra mcp serve', () => {
  it('lists its tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'memory_save',
      'memory_search',
      'run_agent',
      'session_transcript',
      'sessions_list',
    ]);
    expect(tools.find((tool) => tool.name === 'memory_search')?.annotations?.readOnlyHint).toBe(true);
  });

  it('runs an agent with progress notifications and returns its answer and session', async () => {
    const progress: string[] = [];
    const result = await client.callTool(
      { name: 'run_agent', arguments: { prompt: 'please list the files' } },
      undefined,
      { onprogress: (update) => progress.push(update.message ?? '') },
    );
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: 'text', text: 'listed them: nothing much here' }]);
    expect(progress).toContain('running file_list');
    expect(progress[0]).toMatch(/^model call 1 of at most \d+$/);
    expect(progress.some((line) => /^file_list done \(\d+ ms\)$/.test(line))).toBe(true);
    const session = (result.structuredContent as { session_id: string; status: string }).session_id;
    expect((result.structuredContent as { status: string }).status).toBe('completed');

    const listed = await client.callTool({ name: 'sessions_list', arguments: {} });
    expect(JSON.stringify(listed.content)).toContain(session);
    const transcript = await client.callTool({ name: 'session_transcript', arguments: { session } });
    const text = (transcript.content as { text: string }[])[0]!.text;
    expect(text).toContain('[user] please list the files');
    expect(text).toContain('[tool file_list]');
    expect(text).toContain('[assistant] listed them: nothing much here');
  });

  it('saves and finds a note', async () => {
    const saved = await client.callTool({
      name: 'memory_save',
      arguments: { content: 'The staging database lives on port 6543.', tags: ['infra'] },
    });
    expect(JSON.stringify(saved.content)).toMatch(/saved note /);
    const found = await client.callTool({
      name: 'memory_search',
      arguments: { query: 'staging database port' },
    });
    expect(JSON.stringify(found.content)).toContain('port 6543');
  });

  it('kills the agent when the client cancels run_agent', async () => {
    const controller = new AbortController();
    const call = client.callTool({ name: 'run_agent', arguments: { prompt: 'a slow task' } }, undefined, {
      signal: controller.signal,
      onprogress: (update) => {
        if (update.message?.startsWith('model call 1')) controller.abort();
      },
    });
    await expect(call).rejects.toThrow(/abort/i);
    // The server saw the cancellation: the agent is killed long before its 40-second answer.
    await vi.waitFor(
      () =>
        expect(
          auditEntries(env.workspace, 'agent_exit').some((entry) => entry.data.status === 'killed'),
        ).toBe(true),
      { timeout: 15_000, interval: 100 },
    );
    // And it serves on.
    const again = await client.callTool({ name: 'memory_search', arguments: { query: 'staging' } });
    expect(again.isError).toBeFalsy();
  }, 30_000);

  it("answers the MCP Inspector's CLI mode", () => {
    // inspector-cli 1.0.3 looks for "../package.json" from the current folder but imports it from
    // its own: it must start in its build folder. The server then moves into the workspace.
    const server = `cd '${env.workspace}' && exec '${process.execPath}' '${OXYDRA_BIN}' mcp serve`;
    const listed = spawnSync(
      process.execPath,
      [INSPECTOR, '--method', 'tools/list', '/bin/sh', '-c', server],
      {
        cwd: dirname(INSPECTOR),
        env: env.sandbox.env,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    const names = (JSON.parse(listed.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toContain('run_agent');
  });
});
