/**
 * The MCP client through the real binary: `oxydra mcp list|tools|call` on real third-party
 * servers — @modelcontextprotocol/server-everything over stdio (sandboxed, run as the
 * workspace's owner when the tests run as root) and in its Streamable HTTP mode, plus
 * @modelcontextprotocol/server-memory — with exit code 2 and one line for an unknown server or
 * tool and for arguments that are not a JSON object; and `oxydra run` where a scripted model
 * uses the tools of a stdio and an HTTP server in one run. Skipped, with the reason, only when
 * bubblewrap cannot start here.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startEverythingHttp } from '@oxydra/mcp/testing/everything-http';
import { untrustedLine } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { bubblewrapProblem } from './helpers.js';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
const EVERYTHING = join(packageDir('@modelcontextprotocol/server-everything'), 'dist/index.js');
const MEMORY = join(packageDir('@modelcontextprotocol/server-memory'), 'dist/index.js');
const NODE_MODULES = dirname(dirname(packageDir('@modelcontextprotocol/server-everything')));

const problem = bubblewrapProblem();

let env: AgentEnv | undefined;

/** `oxydra <args>` in the env's workspace; output kept raw (tool results may be JSON of any shape). */
async function oxydra(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = env!.spawn(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, stdout, stderr };
}

/** An AgentEnv whose agent.toml may name its own workspace as @WORKSPACE@. */
async function start(toml: string, steps: Parameters<typeof AgentEnv.start>[1] = []): Promise<AgentEnv> {
  const started = await AgentEnv.start(E2E_APIS[0]!, steps, toml);
  const file = join(started.workspace, '.oxydra', 'agent.toml');
  started.sandbox.write(
    '.oxydra/agent.toml',
    readFileSync(file, 'utf8').replaceAll('@WORKSPACE@', started.workspace),
  );
  return started;
}
const servers: ChildProcess[] = [];
afterEach(async () => {
  await env?.close();
  env = undefined;
  for (const child of servers.splice(0)) child.kill('SIGKILL');
});

const httpEverything = async () => (await startEverythingHttp(servers)).port;

const servers_toml = (port: number, extra = '') => `
[mcp.servers.everything]
command = "node"
args = [${JSON.stringify(EVERYTHING)}, "stdio"]
read_paths = [${JSON.stringify(NODE_MODULES)}]

[mcp.servers.web]
url = "http://127.0.0.1:${port}/mcp"

[mcp.servers.memory]
command = "node"
args = [${JSON.stringify(MEMORY)}]
env = { MEMORY_FILE_PATH = "@WORKSPACE@/graph.jsonl" }
read_paths = [${JSON.stringify(NODE_MODULES)}]
${extra}`;

describe.skipIf(problem !== undefined)(`oxydra mcp${problem ? ` (skipped: ${problem})` : ''}`, () => {
  it('list: every configured server with its transport, state and tool count', async () => {
    const port = await httpEverything();
    env = await start(
      servers_toml(
        port,
        `
[mcp.servers.resting]
command = "node"
enabled = false

[mcp.servers.gated]
url = "http://127.0.0.1:${port}/mcp"
bearer_token_env = "GATED_TOKEN"
`,
      ),
    );
    const list = await oxydra(['mcp', 'list']);
    // One server cannot start (its token variable is unset): exit 1, and it says why.
    expect(list.status).toBe(1);
    const lines = Object.fromEntries(
      list.stdout
        .trim()
        .split('\n')
        .map((line) => [line.split(/\s+/)[0], line]),
    );
    expect(lines.everything).toMatch(/^everything\s+stdio\s+connected\s+12 tools\s+connected, .*bubblewrap/);
    expect(lines.web).toMatch(/^web\s+http\s+connected\s+12 tools\s+connected, .*Streamable HTTP/);
    expect(lines.memory).toMatch(/^memory\s+stdio\s+connected\s+9 tools/);
    expect(lines.resting).toMatch(/^resting\s+stdio\s+disabled\s+0 tools\s+enabled = false/);
    expect(lines.gated).toMatch(
      /^gated\s+http\s+not started\s+0 tools\s+not started: bearer_token_env: the variable GATED_TOKEN is not set/,
    );

    const json = await oxydra(['mcp', 'list', '--json']);
    const rows = JSON.parse(json.stdout) as { server: string; state: string; tools: number; ok: boolean }[];
    expect(rows.map((r) => [r.server, r.state, r.ok])).toEqual([
      ['everything', 'connected', true],
      ['web', 'connected', true],
      ['memory', 'connected', true],
      ['resting', 'disabled', true],
      ['gated', 'not started', false],
    ]);
  });

  it('tools: namespaced names, safety tiers and schemas, for one server or all', async () => {
    const port = await httpEverything();
    env = await start(servers_toml(port));
    const one = await oxydra(['mcp', 'tools', 'memory', '--json']);
    expect(one.status).toBe(0);
    const tools = JSON.parse(one.stdout) as {
      server: string;
      name: string;
      safety: string;
      parameters: object;
    }[];
    expect(new Set(tools.map((t) => t.server))).toEqual(new Set(['memory']));
    expect(tools.find((t) => t.name === 'memory__read_graph')?.safety).toBe('read_only');
    expect(tools.find((t) => t.name === 'memory__create_entities')).toMatchObject({
      safety: 'privileged',
      parameters: { type: 'object', required: ['entities'] },
    });

    const all = await oxydra(['mcp', 'tools']);
    expect(all.status).toBe(0);
    expect(all.stdout).toMatch(/^everything: connected/m);
    expect(all.stdout).toMatch(/^web: connected/m);
    expect(all.stdout).toMatch(/^ {2}web__get-sum\s+read_only\s+Returns the sum of two numbers$/m);
    expect(all.stdout).toMatch(/^ {2}everything__toggle-simulated-logging\s+privileged\s+/m);

    const unknown = await oxydra(['mcp', 'tools', 'nowhere']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toBe(
      'error: no MCP server "nowhere" is configured (configured: everything, web, memory)',
    );
  });

  it('call: runs a tool over stdio and HTTP; exit 2 for unknown names and bad JSON', async () => {
    const port = await httpEverything();
    env = await start(servers_toml(port));
    const sum = await oxydra(['mcp', 'call', 'everything', 'get-sum', '{"a": 19, "b": 23}']);
    // As the model reads it: the server's words below the line naming it (its configured name).
    expect(sum).toMatchObject({
      status: 0,
      stdout: `${untrustedLine('the MCP server "everything"')}\n\nThe sum of 19 and 23 is 42.\n`,
    });
    const echo = await oxydra(['mcp', 'call', 'web', 'web__echo', '{"message": "over http"}', '--json']);
    expect(echo.status).toBe(0);
    expect(JSON.parse(echo.stdout)).toMatchObject({
      tool: 'web__echo',
      isError: false,
      content: `${untrustedLine('the MCP server "web"')}\n\nEcho: over http`,
    });

    // The memory server keeps its graph in the workspace, which the sandbox lets it write.
    const created = await oxydra([
      'mcp',
      'call',
      'memory',
      'create_entities',
      '{"entities": [{"name": "Ada", "entityType": "person", "observations": ["wrote the first program"]}]}',
    ]);
    expect(created.status).toBe(0);
    const graph = await oxydra(['mcp', 'call', 'memory', 'read_graph']);
    expect(graph.stdout).toContain('wrote the first program');
    expect(readFileSync(join(env.workspace, 'graph.jsonl'), 'utf8')).toContain('"Ada"');

    const invalid = await oxydra(['mcp', 'call', 'everything', 'get-sum', '{"a": "x", "b": 1}']);
    expect(invalid.status).toBe(1);
    expect(invalid.stdout).toContain('Invalid arguments for everything__get-sum: "a" must be number');

    const cases: [string[], string][] = [
      [
        ['nowhere', 'echo'],
        'error: no MCP server "nowhere" is configured (configured: everything, web, memory)',
      ],
      [
        ['everything', 'no-such-tool'],
        'error: MCP server "everything" has no tool "no-such-tool" (its tools: echo, ',
      ],
      [['everything', 'echo', '{not json'], 'error: the arguments are not valid JSON: '],
      [['everything', 'echo', '[1, 2]'], 'error: the arguments must be a JSON object'],
    ];
    for (const [args, message] of cases) {
      const result = await oxydra(['mcp', 'call', ...args]);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(message);
    }
  });

  it('run: a scripted model uses a stdio and an HTTP server in one run', async () => {
    const port = await httpEverything();
    env = await start(servers_toml(port), [
      {
        reply: {
          toolCalls: [
            { name: 'everything__echo', arguments: { message: 'via stdio' } },
            { name: 'web__get-sum', arguments: { a: 40, b: 2 } },
          ],
        },
      },
      { reply: { text: 'both servers answered' } },
    ]);
    const run = await env.run(['run', 'use both servers']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('both servers answered');
    const second = env.requestText(1);
    expect(second).toContain('Echo: via stdio');
    expect(second).toContain('The sum of 40 and 2 is 42.');
  });
});
