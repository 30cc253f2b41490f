/**
 * `oxydra mcp serve`: Oxydra as an MCP server on stdio, for Claude Desktop, Claude Code, IDEs
 * and any MCP client: run_agent, memory_search, memory_save, sessions_list, session_transcript
 * over this workspace's kernel. stdout carries protocol frames only; warnings go to stderr.
 * Ends when the client closes stdin (or on SIGINT/SIGTERM), after closing the kernel.
 */
import { loadOxydraMcpServer } from '@oxydra/gateway';
import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_OK } from '../exit-codes.js';
import { openCliKernel } from '../run/spawn-flags.js';
import { agentWorkspace } from '../run/workspace.js';

export async function runMcpServe(options: ConfigFlagValues): Promise<number> {
  const kernel = await openCliKernel(options, { workspace: agentWorkspace() });
  try {
    const [createServer, { StdioServerTransport }] = await Promise.all([
      loadOxydraMcpServer(),
      import('@modelcontextprotocol/sdk/server/stdio.js'),
    ]);
    const server = createServer(kernel, { ownSessionsOnly: false });
    const transport = new StdioServerTransport();
    const ended = new Promise<void>((done) => {
      process.stdin.once('end', done);
      process.stdin.once('close', done);
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      transport.onclose = done;
    });
    await server.connect(transport);
    await ended;
    await server.close();
  } finally {
    await kernel.close();
  }
  return EXIT_OK;
}
