/**
 * `oxydra mcp serve` through the real binary, driven by the official MCP SDK client over stdio:
 * tools/list; run_agent streams progress notifications (model calls, tool calls, the answer's
 * text as it grows) and returns the answer, session and usage; bad input and an unknown agent
 * are tool errors; a cancelled run_agent kills its agent and leaves none running (seen in the
 * audit chain while the server runs on); memory_save and memory_search; sessions_list and
 * session_transcript; a server without memory says so as tool errors; --workspace serves a
 * project from elsewhere and the filesystem root is refused; and the MCP Inspector's CLI mode
 * lists the tools, and through its `mcp-inspector-cli` bin reads a Claude Desktop style config
 * and calls a tool.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { auditEntries, OXYDRA_BIN } from './helpers.js';

const INSPECTOR = fileURLToPath(
  new URL('../../../node_modules/@modelcontextprotocol/inspector-cli/build/index.js', import.meta.url),
);
/** The package's `mcp-inspector-cli` bin (it runs index.js above in CLI mode). */
const INSPECTOR_BIN = fileURLToPath(new URL('../../../node_modules/.bin/mcp-inspector-cli', import.meta.url));

/** 1,000 characters: the answer's text progress lines come at 400 and 800. */
const LONG_ANSWER = `Here is the long answer. ${'lorem ipsum '.repeat(200)}`.slice(0, 1000);

let env: AgentEnv;
let client: Client;
let onProgressLine: (line: string) => void = () => {};

/** Calls run_agent, collecting its progress lines (each also handed to `each`). */
async function runAgent(prompt: string, each: (line: string) => void = () => {}, signal?: AbortSignal) {
  const progress: string[] = [];
  onProgressLine = (line) => {
    progress.push(line);
    each(line);
  };
  const result = await client.callTool({ name: 'run_agent', arguments: { prompt } }, undefined, {
    onprogress: () => {},
    ...(signal ? { signal } : {}),
  });
  return { result, progress };
}
let serverLog = '';

/** A client of `oxydra mcp serve` in the test's workspace, with these extra arguments. */
async function connect(args: string[], cwd = env.workspace): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [OXYDRA_BIN, 'mcp', 'serve', ...args],
    cwd,
    env: env.sandbox.env as Record<string, string>,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    serverLog += chunk.toString();
  });
  const connected = new Client({ name: 'oxydra-test', version: '1.0.0' });
  await connected.connect(transport).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; the server said: ${serverLog}`);
  });
  return connected;
}

const textOf = (result: unknown) => (result as { content?: { text?: string }[] }).content?.[0]?.text ?? '';

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
    {
      match: { lastMessageContains: 'write at length' },
      reply: { text: LONG_ANSWER, textChunks: 25, usage: { input: 321, output: 123 } },
    },
    { reply: { text: 'listed them: nothing much here' }, times: 'always' },
  ]);
  client = await connect(['--set', 'tools.approval=auto']);
  // The SDK client runs a notification's handler a microtask after reading it, but drops the
  // call's `onprogress` as soon as it reads the result: progress lines read together with the
  // result (a loaded machine) never reach `onprogress`. This handler sees every line the server
  // sent; `onprogress` is still passed, as it is what makes the client ask for progress.
  client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
    onProgressLine(notification.params.message ?? '');
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
    const { result, progress } = await runAgent('please list the files');
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

  it("reports the answer's text as it grows, and returns the usage", async () => {
    const { result, progress } = await runAgent('please write at length');
    expect(textOf(result)).toBe(LONG_ANSWER);
    const writing = progress.filter((line) => line.startsWith('writing: '));
    expect(writing[0]).toMatch(/^writing: Here is/);
    expect(writing.slice(1)).toEqual(['writing: 400 characters so far', 'writing: 800 characters so far']);
    expect(result.structuredContent).toMatchObject({
      status: 'completed',
      turns: 1,
      usage: { input_tokens: 321, output_tokens: 123 },
    });
  });

  it('answers bad input and an unknown agent with tool errors', async () => {
    const empty = await client.callTool({ name: 'run_agent', arguments: {} });
    expect(empty.isError).toBe(true);
    expect(textOf(empty)).toMatch(/prompt/);
    const unknown = await client.callTool({
      name: 'run_agent',
      arguments: { prompt: 'hello', agent: 'no-such-agent' },
    });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/no-such-agent/);
    const missing = await client.callTool({ name: 'session_transcript', arguments: { session: 'nope' } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toBe('no session "nope"');
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
    const call = runAgent(
      'a slow task',
      (line) => {
        if (line.startsWith('model call 1')) controller.abort();
      },
      controller.signal,
    );
    await expect(call).rejects.toThrow(/abort/i);
    // The server saw the cancellation: the agent is killed long before its 40-second answer.
    await pollUntil(
      () => auditEntries(env.workspace, 'agent_exit').some((entry) => entry.data.status === 'killed'),
      'an agent_exit audit entry with status killed',
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    // No agent is left running: every agent spawned so far has exited.
    const spawned = auditEntries(env.workspace, 'agent_spawn').map((entry) => entry.actor);
    const exited = auditEntries(env.workspace, 'agent_exit').map((entry) => entry.actor);
    expect(spawned.length).toBeGreaterThan(0);
    expect(exited.sort()).toEqual(spawned.sort());
    // And it serves on.
    const again = await client.callTool({ name: 'memory_search', arguments: { query: 'staging' } });
    expect(again.isError).toBeFalsy();
  }, 30_000);

  it('says memory is off as tool errors, and still runs agents', async () => {
    const noMemory = await connect(['--set', 'memory.enabled=false']);
    try {
      const search = await noMemory.callTool({ name: 'memory_search', arguments: { query: 'port' } });
      expect(search.isError).toBe(true);
      expect(textOf(search)).toMatch(/^memory is off/);
      const save = await noMemory.callTool({ name: 'memory_save', arguments: { content: 'a note' } });
      expect(save.isError).toBe(true);
      const list = await noMemory.callTool({ name: 'sessions_list', arguments: {} });
      expect(list.isError).toBe(true);
      expect(textOf(list)).toMatch(/^memory is off/);
      const inSession = await noMemory.callTool({
        name: 'run_agent',
        arguments: { prompt: 'hello', session: 'mine' },
      });
      expect(inSession.isError).toBe(true);
      expect(textOf(inSession)).toMatch(/memory is off/);
      const stateless = await noMemory.callTool({ name: 'run_agent', arguments: { prompt: 'hello' } });
      expect(stateless.isError).toBeFalsy();
      expect(stateless.structuredContent).toMatchObject({ status: 'completed', session_id: null });
    } finally {
      await noMemory.close();
    }
  }, 30_000);

  it('serves the --workspace folder when started elsewhere, and never the filesystem root', async () => {
    const elsewhere = await connect(['--workspace', env.workspace], '/');
    try {
      const found = await elsewhere.callTool({ name: 'memory_search', arguments: { query: 'staging port' } });
      expect(textOf(found)).toContain('port 6543');
    } finally {
      await elsewhere.close();
    }
    const refused = spawnSync(process.execPath, [OXYDRA_BIN, 'mcp', 'serve'], {
      cwd: '/',
      env: env.sandbox.env,
      encoding: 'utf8',
      input: '',
      timeout: 30_000,
    });
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/filesystem root/);
    expect(refused.stderr).toMatch(/--workspace/);
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

  it('answers a tool call through the Inspector bin, started from a Claude Desktop style config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxydra-mcp-config-'));
    try {
      const config = join(dir, 'claude_desktop_config.json');
      writeFileSync(
        config,
        JSON.stringify({
          mcpServers: {
            oxydra: {
              command: process.execPath,
              args: [OXYDRA_BIN, 'mcp', 'serve', '--workspace', env.workspace],
            },
          },
        }),
      );
      const called = spawnSync(
        process.execPath,
        [
          INSPECTOR_BIN,
          '--cli',
          '--config',
          config,
          '--server',
          'oxydra',
          '--method',
          'tools/call',
          '--tool-name',
          'memory_search',
          '--tool-arg',
          'query=staging database',
        ],
        // See above: the Inspector must start in its build folder.
        { cwd: dirname(INSPECTOR), env: env.sandbox.env, encoding: 'utf8', timeout: 30_000 },
      );
      expect(called.status, called.stderr).toBe(0);
      const result = JSON.parse(called.stdout) as { content: { text: string }[]; isError?: boolean };
      expect(result.isError).toBeFalsy();
      expect(result.content[0]?.text).toContain('port 6543');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
