/**
 * Ctrl+C (SIGINT) on `oxydra mcp serve` and `oxydra mcp call`, through the real binary: each
 * ends with exit code 130 (run/interrupted.ts, the one rule for every command) and leaves no
 * process behind: not the command an agent of `mcp serve` was running, not the stdio server
 * `mcp call` was waiting on (sandboxed or not). The rest of both commands: mcp-serve-e2e and
 * mcp-client-e2e.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { mcpFixtures } from '@oxydra/mcp/testing/fixture-paths';
import { pollUntil, processesLeftBehind, processesWith, uniqueSleep } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { bubblewrapProblem, OXYDRA_BIN } from './helpers.js';

const TRIVIAL_SERVER = mcpFixtures('trivial-server.mjs');
const FIXTURES = mcpFixtures();
const NODE_MODULES = fileURLToPath(new URL('../../../node_modules', import.meta.url));

const problem = bubblewrapProblem();

let env: AgentEnv | undefined;
const started: ChildProcess[] = [];
afterEach(async () => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
  await env?.close();
  env = undefined;
});

/** The child's exit code, with the signal that ended it instead when there is one (no code then). */
function exitOf(child: ChildProcess): Promise<number | string> {
  return once(child, 'exit').then(([code, signal]) => (signal as string | null) ?? (code as number));
}

function collect(stream: NodeJS.ReadableStream | null): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text += chunk;
  });
  return () => text;
}

describe('Ctrl+C on oxydra mcp serve', () => {
  it("ends it with 130 while an agent runs a command, and the command's process is gone", async () => {
    const marker = uniqueSleep();
    env = await AgentEnv.start(E2E_APIS[0]!, [
      {
        reply: {
          toolCalls: [
            { name: 'shell_exec', arguments: { command: `sleep ${marker} & sleep ${marker}; echo never` } },
          ],
        },
      },
      { reply: { text: 'not reached' }, times: 'always' },
    ]);
    const child = spawn(process.execPath, [OXYDRA_BIN, 'mcp', 'serve', '--set', 'tools.approval=auto'], {
      cwd: env.workspace,
      env: env.sandbox.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    started.push(child);
    const exited = exitOf(child);
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const send = (message: object) => child.stdin!.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
    });
    await pollUntil(() => stdout().includes('"id":1'), 'the answer to initialize', { timeoutMs: 30_000 });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'run_agent', arguments: { prompt: 'Wait a long time' } },
    });
    await pollUntil(() => processesWith(`sleep ${marker}`).length >= 2, 'the command to start', {
      timeoutMs: 30_000,
    });
    child.kill('SIGINT');
    expect(await exited, stderr()).toBe(130);
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
  }, 60_000);
});

describe.each([
  ['sandboxed', true],
  ['unsandboxed', false],
] as const)('Ctrl+C on oxydra mcp call, %s server', (_name, sandbox) => {
  it.skipIf(sandbox && problem !== undefined)(
    `ends it with 130 during the call, and the server process is gone${sandbox && problem ? ` (skipped: ${problem})` : ''}`,
    async () => {
      // An argument the server ignores: what finds its process, and nobody else's.
      const marker = uniqueSleep();
      env = await AgentEnv.start(
        E2E_APIS[0]!,
        [],
        `
[mcp.servers.trivial]
command = "node"
args = [${JSON.stringify(TRIVIAL_SERVER)}, "${marker}"]
read_paths = [${JSON.stringify(NODE_MODULES)}, ${JSON.stringify(FIXTURES)}]
sandbox = ${sandbox}
`,
      );
      const child = env.spawn(['mcp', 'call', 'trivial', 'wait', '{"ms": 120000}']);
      started.push(child);
      const exited = exitOf(child);
      const stderr = collect(child.stderr);
      // The server says it has started waiting; the CLI prints that as progress.
      await pollUntil(() => stderr().includes('progress: waiting'), 'the call to be under way', {
        timeoutMs: 30_000,
      });
      expect(processesWith(marker).length).toBeGreaterThan(0);
      child.kill('SIGINT');
      expect(await exited, stderr()).toBe(130);
      expect(stderr()).toContain('error: interrupted');
      expect(await processesLeftBehind(marker)).toEqual([]);
    },
    60_000,
  );
});
