#!/usr/bin/env node
// MCP tool call overhead over stdio (issue 14: "reported"). One trivial server
// (packages/mcp/test/fixtures/trivial-server.mjs, the official SDK's McpServer; its `ping`
// answers "pong") started three ways in the same run:
//   direct:    the SDK's Client on a StdioClientTransport, client.callTool (the floor);
//   source:    McpServerSource (sandbox = false), tool.execute: argument check, result
//              conversion, reconnect bookkeeping on top of the same SDK call;
//   sandboxed: McpServerSource inside bubblewrap (the default), when bubblewrap works here.
// Calls interleave in rounds (one call of each per round), so drift hits all alike; the
// overhead is the difference of the medians. Usage: node bench/mcp.mjs [--calls N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mcpToolSources } from '@oxydra/mcp';
import { BWRAP, detectSandbox } from '@oxydra/sandbox';
import { mcpSchema, toolsSchema } from '@oxydra/types';
import { summarize } from './stats.mjs';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' } } });
const calls = Number(values.calls);
const server = fileURLToPath(new URL('../packages/mcp/test/fixtures/trivial-server.mjs', import.meta.url));
const nodeModules = fileURLToPath(new URL('../node_modules', import.meta.url));

// run_as = "root": the bench's workspace is private to its user, so as root the sandboxed
// server runs as root inside its own user namespace (capabilities dropped), not as "nobody".
const workspace = mkdtempSync(join(tmpdir(), 'oxydra-bench-mcp-'));
const sandbox = toolsSchema().parse({ sandbox: { run_as: 'root' } }).sandbox;
const canSandbox = detectSandbox(BWRAP).tier === 'bubblewrap';
const entry = (sandboxed) => ({
  command: process.execPath,
  args: [server],
  sandbox: sandboxed,
  read_paths: [nodeModules, dirname(server)],
});
const sources = mcpToolSources(
  mcpSchema().parse({ servers: { plain: entry(false), ...(canSandbox ? { boxed: entry(true) } : {}) } }),
  { workspace, sandbox, env: process.env },
);
const direct = new Client({ name: 'bench', version: '0' });
await direct.connect(
  new StdioClientTransport({ command: process.execPath, args: [server], stderr: 'ignore' }),
);
await Promise.all(sources.map((s) => s.start()));
const context = { workspace, signal: new AbortController().signal };
const pings = sources.map((s) => s.tools().find((t) => t.name.endsWith('__ping')));

const time = async (call) => {
  const start = performance.now();
  await call();
  return performance.now() - start;
};
const runs = [
  () => direct.callTool({ name: 'ping', arguments: {} }),
  ...pings.map((ping) => () => ping.execute({}, context)),
];
const samples = runs.map(() => []);
for (let i = 0; i < 200; i++) for (const run of runs) await run(); // warm-up (JIT)
for (let i = 0; i < calls; i++) {
  for (const [k, run] of runs.entries()) samples[k].push(await time(run));
}
const check = await pings[0].execute({}, context);
if (check.content !== 'pong') throw new Error(`unexpected answer: ${JSON.stringify(check)}`);

await direct.close();
await Promise.all(sources.map((s) => s.close()));
rmSync(workspace, { recursive: true, force: true });

const [d, s, b] = samples.map(summarize);
const round = (x) => Math.round(x * 1000) / 1000;
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'mcp',
      node: process.version,
      calls,
      direct_sdk_call: d,
      mcp_server_source_call: s,
      overhead_ms_per_call: round(s.median_ms - d.median_ms),
      ...(b
        ? { sandboxed_source_call: b, sandboxed_overhead_ms_per_call: round(b.median_ms - d.median_ms) }
        : { sandboxed_source_call: 'skipped: bubblewrap cannot start here' }),
      note: 'one tools/call round trip to a trivial stdio server (official SDK McpServer); overhead = median difference, same run, interleaved',
    },
    null,
    2,
  )}\n`,
);
