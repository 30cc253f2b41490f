/**
 * MCP servers from `[mcp.servers]`, end to end through the kernel: a scripted model uses the
 * tools of two real third-party servers in one run — @modelcontextprotocol/server-everything
 * over stdio (inside bubblewrap) and the same package in its Streamable HTTP mode — and the
 * stdio server, killed in the middle of the run, is reconnected before the model's next call
 * to it. The kill is a tool of the test's own (a host tool source), so it happens exactly
 * between two model calls.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startEverythingHttp } from '@oxydra/mcp/testing/everything-http';
import { BWRAP, detectSandbox } from '@oxydra/sandbox';
import { pollUntil } from '@oxydra/testkit/helpers';
import { type ToolSource, untrustedLine } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '../src/index.js';
import { closeAll, testKernel } from './helpers.js';

const require = createRequire(import.meta.url);
const manifest = require.resolve('@modelcontextprotocol/server-everything/package.json');
const EVERYTHING = path.join(path.dirname(manifest), 'dist/index.js');
const NODE_MODULES = path.dirname(path.dirname(path.dirname(manifest)));
const detection = detectSandbox(BWRAP);
const problem =
  detection.tier === 'bubblewrap' ? undefined : `bubblewrap cannot start here: ${detection.degradation}`;

const children: ChildProcess[] = [];
afterEach(async () => {
  await closeAll();
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

const startHttpEverything = async () => (await startEverythingHttp(children)).port;

/** Processes whose command line holds `marker` (the sandboxed server: bwrap and what runs in it). */
function pidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker))
        pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** A host tool that kills the stdio server and returns once the kernel's health shows the drop. */
function killer(marker: string, kernel: () => Kernel): ToolSource {
  return {
    name: 'test:killer',
    tools: () => [
      {
        name: 'kill_stdio_server',
        description: 'kills the stdio MCP server',
        parameters: { type: 'object', properties: {} },
        safety: 'read_only',
        execute: async () => {
          const pids = pidsWith(marker);
          for (const pid of pids) process.kill(pid, 'SIGKILL');
          const health = () =>
            kernel()
              .toolSourceHealth()
              .find((h) => h.name === 'mcp:everything')!;
          await pollUntil(() => !health().ok, 'mcp:everything to report its server gone', {
            timeoutMs: 20_000,
            intervalMs: 20,
          });
          return `killed ${pids.length} process(es); health: ${health().detail}`;
        },
      },
    ],
  };
}

describe.skipIf(problem !== undefined)(
  `MCP servers in a kernel run${problem ? ` (skipped: ${problem})` : ''}`,
  () => {
    it('a scripted model uses a stdio and an HTTP server in one run; the stdio one is killed mid-run and reconnected', async () => {
      const port = await startHttpEverything();
      const marker = `--oxydra-test-${process.pid}-${Date.now()}`;
      let kernelRef: Kernel | undefined;
      const { kernel, mock } = await testKernel(
        [
          { reply: { toolCalls: [{ name: 'everything__echo', arguments: { message: 'from stdio' } }] } },
          { reply: { toolCalls: [{ name: 'web__get-sum', arguments: { a: 20, b: 22 } }] } },
          { reply: { toolCalls: [{ name: 'kill_stdio_server', arguments: {} }] } },
          { reply: { toolCalls: [{ name: 'everything__echo', arguments: { message: 'after the kill' } }] } },
          { reply: { toolCalls: [{ name: 'everything__get-sum', arguments: { a: 'x' } }] } },
          { reply: { text: 'all done' } },
        ],
        {
          mcp: {
            servers: {
              // Extra arguments are ignored by server-everything: the marker finds its processes.
              everything: {
                command: 'node',
                args: [EVERYTHING, 'stdio', marker],
                read_paths: [NODE_MODULES],
              },
              web: { url: `http://127.0.0.1:${port}/mcp` },
            },
          },
          // The test workspace is root's and private: the sandbox runs the server as root (inside
          // its own user namespace, capabilities dropped) rather than as "nobody", who cannot reach it.
          tools: { sandbox: { mode: 'auto', run_as: 'root' } },
        },
        { toolSources: [killer(marker, () => kernelRef!)] },
      );
      kernelRef = kernel;
      const health = kernel.toolSourceHealth();
      expect(health.find((h) => h.name === 'mcp:everything')).toMatchObject({ ok: true });
      expect(health.find((h) => h.name === 'mcp:everything')!.detail).toMatch(
        /^connected, \d+ tools.*; stdio, bubblewrap/,
      );
      expect(health.find((h) => h.name === 'mcp:web')!.detail).toMatch(
        /^connected, \d+ tools.*; Streamable HTTP http:\/\/127\.0\.0\.1/,
      );
      const tools = kernel.describe().tools;
      expect(tools).toEqual(expect.arrayContaining(['everything__echo', 'web__get-sum', 'file_read']));

      const agent = kernel.agents.spawn({ prompt: 'use the MCP tools' });
      const ends: { name: string; isError: boolean; content: string }[] = [];
      for await (const envelope of agent.events) {
        if (envelope.event.type === 'tool_execution_end') ends.push(envelope.event);
      }
      const result = await agent.result;
      expect(result.status).toBe('completed');
      expect(ends.map((e) => [e.name, e.isError])).toEqual([
        ['everything__echo', false],
        ['web__get-sum', false],
        ['kill_stdio_server', false],
        ['everything__echo', false],
        ['everything__get-sum', true],
      ]);
      // The servers' words come below the untrusted line naming them (kernel-mcp-untrusted.test.ts).
      const fromEverything = (text: string) => `${untrustedLine('the MCP server "everything"')}\n\n${text}`;
      expect(ends[0]!.content).toBe(fromEverything('Echo: from stdio'));
      expect(ends[1]!.content).toContain('42');
      expect(ends[2]!.content).toMatch(
        /^killed [1-9]\d* process\(es\); health: reconnecting \(attempt 1\): the server process exited/,
      );
      expect(ends[3]!.content).toBe(fromEverything('Echo: after the kill'));
      expect(ends[4]!.content).toContain('Invalid arguments for everything__get-sum');
      // The model saw the results.
      expect(mock.requests.at(-1)!.raw).toContain('Echo: after the kill');
      expect(kernel.toolSourceHealth().find((h) => h.name === 'mcp:everything')).toMatchObject({ ok: true });
    });

    it('fails closed: a stdio server the sandbox cannot run is a health line, not an unsandboxed process', async () => {
      const { kernel } = await testKernel([{ reply: { text: 'ok' } }], {
        mcp: { servers: { everything: { command: 'node', args: [EVERYTHING], read_paths: [NODE_MODULES] } } },
        // As root with the default run_as, the server would run as "nobody", who cannot reach the
        // private test workspace: refused with the reason (when not root, this case does not arise).
        tools: { sandbox: { mode: 'auto' } },
      });
      const line = kernel.toolSourceHealth().find((h) => h.name === 'mcp:everything')!;
      if (process.geteuid?.() === 0) {
        expect(line.ok).toBe(false);
        expect(line.detail).toMatch(/^not started: refused to start: .*cannot reach the workspace/);
        expect(kernel.describe().tools.some((name) => name.startsWith('everything__'))).toBe(false);
      } else {
        expect(line.ok).toBe(true);
      }
      expect((await kernel.agents.spawn({ prompt: 'hi' }).result).status).toBe('completed');
    });
  },
);
