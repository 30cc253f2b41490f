/**
 * `oxydra mcp serve`: Oxydra as an MCP server on stdio, for Claude Desktop, Claude Code, IDEs
 * and any MCP client: run_agent, memory_search, memory_save, sessions_list, session_transcript
 * over this workspace's kernel, acting as the local user (all sessions are theirs). stdout
 * carries protocol frames only; warnings go to stderr. Ends when the client closes stdin (or on
 * SIGINT/SIGTERM), which cancels running agents, after closing the kernel. On a PostgreSQL store
 * it is a member of the deployment (run/deployment-member.ts): its run_agent calls take the local
 * user's slots in the per-user limit every process of the deployment counts.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '@oxydra/types';
import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_OK } from '../exit-codes.js';
import { openMemberKernel, stderrMemberLog } from '../run/deployment-member.js';
import { markInterrupted } from '../run/interrupted.js';
import { agentWorkspace } from '../run/load-config.js';

export interface McpServeFlags extends ConfigFlagValues {
  /** The project folder; default the current one (Claude Desktop starts servers in /). */
  workspace?: string;
}

export async function runMcpServe(options: McpServeFlags): Promise<number> {
  const workspace = servedWorkspace(options.workspace);
  const say = (line: string) => process.stderr.write(`oxydra mcp serve: ${line}\n`);
  const { kernel, member, close } = await openMemberKernel(
    options,
    { workspace },
    'mcp',
    stderrMemberLog(say),
  );
  try {
    // The MCP server alone (and the SDK), not the gateway's HTTP server.
    const [{ createOxydraMcpServer: createServer }, { StdioServerTransport }] = await Promise.all([
      import('@oxydra/gateway/mcp-server'),
      import('@modelcontextprotocol/sdk/server/stdio.js'),
    ]);
    // No user: the terminal is the workspace's owner, whom the kernel lets read every session.
    const server = createServer(kernel, {
      // A member of a PostgreSQL deployment: each run_agent call takes a slot of the local user
      // (whose spend its runs are) in the deployment's per-user limit, or is refused.
      ...(member
        ? {
            takeRun: async () => {
              const [admission, { LOCAL_USER }] = await Promise.all([
                kernel.service('admission'),
                import('@oxydra/kernel/admin'),
              ]);
              return admission.tryAcquire({ userId: LOCAL_USER });
            },
          }
        : {}),
    });
    const transport = new StdioServerTransport();
    const ended = new Promise<void>((done) => {
      process.stdin.once('end', done);
      process.stdin.once('close', done);
      process.once('SIGINT', () => {
        markInterrupted();
        done();
      });
      process.once('SIGTERM', done);
      transport.onclose = done;
    });
    await server.connect(transport);
    await ended;
    await server.close();
  } finally {
    await close();
  }
  return EXIT_OK;
}

/**
 * The workspace to serve: --workspace (moved into, so commands and relative paths start there
 * as from a terminal), else the current folder's. Never the filesystem root: a client that
 * starts its servers in / would otherwise hand agents the whole machine as their workspace.
 */
function servedWorkspace(flag: string | undefined): string {
  if (flag !== undefined) {
    const dir = resolve(flag);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new UsageError(`--workspace ${JSON.stringify(flag)}: no such folder`);
    process.chdir(dir);
  }
  const workspace = agentWorkspace();
  if (dirname(workspace) === workspace) {
    throw new UsageError(`oxydra mcp serve would serve the filesystem root (${workspace}) as the workspace`, {
      hint: 'pass --workspace /path/to/project (MCP clients such as Claude Desktop start servers in /)',
    });
  }
  return workspace;
}
