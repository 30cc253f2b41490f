/**
 * `oxydra mcp list|tools|call`: the MCP servers of [mcp.servers], started as a run starts them
 * (through the kernel: the sandbox, the bearer token, the reconnects), for debugging a
 * configuration. `call` runs one tool directly, as its user: no agent, no approval question.
 * Unknown servers or tools and arguments that are not a JSON object exit 2 with one line.
 */
import type { Kernel } from '@oxydra/kernel';
import type { AgentConfig, Tool, ToolResult, ToolSourceHealth } from '@oxydra/types';
import { descriptionWords, UsageError, visibleLine } from '@oxydra/types';
import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { markInterrupted } from '../run/interrupted.js';
import { agentWorkspace } from '../run/load-config.js';
import { printBody, printLines, printWarning } from '../run/print.js';
import { loadRunConfig } from '../run/spawn-flags.js';
import { openKernelOnStore } from '../run/store-choice.js';

type Flags = ConfigFlagValues & { json?: boolean };

interface Opened {
  kernel: Kernel;
  config: AgentConfig;
}

/**
 * Opens the kernel and waits (up to [mcp] start_timeout_secs) for the servers still connecting.
 * With `only`, that server alone is started (it must be configured and enabled).
 */
async function withServers<T>(
  flags: Flags,
  only: string | undefined,
  use: (opened: Opened) => Promise<T>,
): Promise<T> {
  const workspace = agentWorkspace();
  const loaded = await loadRunConfig(flags, { workspace });
  if (only !== undefined) checkServer(loaded, only);
  const config: AgentConfig =
    only === undefined
      ? loaded
      : {
          ...loaded,
          mcp: {
            ...loaded.mcp,
            servers: Object.fromEntries(
              Object.entries(loaded.mcp.servers).map(([name, entry]) => [
                name,
                name === only ? entry : { ...entry, enabled: false },
              ]),
            ),
          },
        };
  const kernel = await openKernelOnStore({
    workspace,
    config,
    host: 'cli',
    // A server that did not start is reported in its own line; other warnings go to stderr.
    warn: (message) => {
      if (!message.startsWith('mcp:')) printWarning(message);
    },
  });
  try {
    const end = Date.now() + config.mcp.start_timeout_secs * 1000;
    while (mcpHealth(kernel).some((h) => h.detail.startsWith('connecting')) && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return await use({ kernel, config });
  } finally {
    await kernel.close();
  }
}

const serverOf = (sourceName: string) => sourceName.slice('mcp:'.length);

function mcpHealth(kernel: Kernel): ToolSourceHealth[] {
  return kernel.toolSourceHealth().filter((h) => h.name.startsWith('mcp:'));
}

function serverTools(kernel: Kernel, server: string): Tool[] {
  return kernel.toolSourceTools().find((s) => s.source === `mcp:${server}`)?.tools ?? [];
}

/** The server of that name, enabled; a UsageError naming the configured ones otherwise. */
function checkServer(config: AgentConfig, server: string): void {
  const names = Object.keys(config.mcp.servers);
  const entry = config.mcp.servers[server];
  if (!entry) {
    throw new UsageError(
      `no MCP server "${server}" is configured (${names.length > 0 ? `configured: ${names.join(', ')}` : 'add [mcp.servers.<name>]'})`,
    );
  }
  if (!entry.enabled) throw new UsageError(`MCP server "${server}" is disabled (enabled = false)`);
}

function stateOf(health: ToolSourceHealth | undefined, enabled: boolean): string {
  if (!enabled) return 'disabled';
  if (!health) return 'unknown';
  if (health.ok) return 'connected';
  if (health.detail.startsWith('not started')) return 'not started';
  return health.detail.split(/[ :(;]/, 1)[0] || 'failing';
}

export async function runMcpList(options: Flags): Promise<number> {
  return withServers(options, undefined, async ({ kernel, config }) => {
    const health = new Map(mcpHealth(kernel).map((h) => [serverOf(h.name), h]));
    const rows = Object.entries(config.mcp.servers).map(([server, entry]) => {
      const line = health.get(server);
      return {
        server,
        transport: entry.url !== undefined ? 'http' : 'stdio',
        enabled: entry.enabled,
        state: stateOf(line, entry.enabled),
        ok: entry.enabled ? (line?.ok ?? false) : true,
        tools: serverTools(kernel, server).length,
        detail: entry.enabled ? (line?.detail ?? '') : 'enabled = false',
      };
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else if (rows.length === 0) {
      process.stdout.write(
        'no MCP servers: add [mcp.servers.<name>] with command = "..." (stdio) or url = "..." (Streamable HTTP)\n',
      );
    } else {
      const width = Math.max(...rows.map((row) => row.server.length));
      for (const row of rows) {
        // A server's name is the configuration's (maybe a cloned repository's), its detail the server's error text.
        printLines(
          `${visibleLine(row.server).padEnd(width)}  ${row.transport.padEnd(5)}  ${row.state.padEnd(12)}  ${String(row.tools).padStart(3)} tools  ${visibleLine(row.detail)}\n`,
        );
      }
    }
    return rows.every((row) => row.ok) ? EXIT_OK : EXIT_FAILURE;
  });
}

const firstLine = (text: string, max = 100) => {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

export async function runMcpTools(server: string | undefined, options: Flags): Promise<number> {
  return withServers(options, server, async ({ kernel, config }) => {
    const servers =
      server !== undefined
        ? [server]
        : Object.entries(config.mcp.servers)
            .filter(([, entry]) => entry.enabled)
            .map(([name]) => name);
    const health = new Map(mcpHealth(kernel).map((h) => [serverOf(h.name), h]));
    const listed = servers.map((name) => ({
      server: name,
      health: health.get(name),
      tools: serverTools(kernel, name),
    }));
    if (options.json) {
      const rows = listed.flatMap(({ server: name, tools }) =>
        tools.map((tool) => ({
          server: name,
          name: tool.name,
          safety: tool.safety,
          description: tool.description,
          parameters: tool.parameters,
        })),
      );
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else {
      for (const { server: name, health: line, tools } of listed) {
        printLines(`${visibleLine(name)}: ${visibleLine(line?.detail ?? 'not started')}\n`);
        const width = Math.max(0, ...tools.map((tool) => tool.name.length));
        // The model reads each description after a note naming its server; the rows name the
        // server already, so its words are shown (--json keeps the whole text the model reads).
        for (const tool of tools) {
          // Names and descriptions are the server's own.
          printLines(
            `  ${visibleLine(tool.name).padEnd(width)}  ${tool.safety.padEnd(14)}  ${firstLine(descriptionWords(tool.description))}\n`,
          );
        }
      }
    }
    const down = listed.filter(({ health: line }) => !line?.ok);
    return down.length === 0 ? EXIT_OK : EXIT_FAILURE;
  });
}

/** `[json-args]`: a JSON object, or nothing (no arguments). */
function parseArgs(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new UsageError(`the arguments are not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('the arguments must be a JSON object, e.g. \'{"path": "README.md"}\'');
  }
  return value as Record<string, unknown>;
}

function findTool(tools: Tool[], server: string, typed: string): Tool | undefined {
  const plain = `${server}__${typed}`;
  const candidates = [typed, plain, plain.replace(/[^A-Za-z0-9_-]/g, '_')];
  return tools.find((tool) => candidates.includes(tool.name));
}

export async function runMcpCall(
  server: string,
  toolName: string,
  rawArgs: string | undefined,
  options: Flags,
): Promise<number> {
  const args = parseArgs(rawArgs);
  return withServers(options, server, async ({ kernel }) => {
    const line = mcpHealth(kernel).find((h) => h.name === `mcp:${server}`);
    const tools = serverTools(kernel, server);
    const tool = findTool(tools, server, toolName);
    if (!tool) {
      if (!line?.ok && tools.length === 0) {
        printLines(
          `error: MCP server "${server}" is not available: ${visibleLine(line?.detail ?? 'not started')}\n`,
          process.stderr,
        );
        return EXIT_FAILURE;
      }
      throw new UsageError(
        `MCP server "${server}" has no tool "${toolName}" (its tools: ${tools.map((t) => t.name.slice(server.length + 2)).join(', ') || 'none'})`,
      );
    }
    const controller = new AbortController();
    const stop = () => {
      markInterrupted();
      controller.abort(new Error('interrupted'));
    };
    process.once('SIGINT', stop);
    let result: ToolResult;
    try {
      const raw = await tool.execute(args, {
        workspace: kernel.workspace,
        signal: controller.signal,
        onProgress: (message) => printLines(`progress: ${visibleLine(message)}\n`, process.stderr),
      });
      result = typeof raw === 'string' ? { content: raw } : raw;
    } catch (error) {
      if (controller.signal.aborted) {
        process.stderr.write('error: interrupted\n');
        return EXIT_FAILURE;
      }
      throw error;
    } finally {
      process.off('SIGINT', stop);
    }
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ tool: tool.name, isError: result.isError === true, content: result.content, data: result.data })}\n`,
      );
    } else {
      // The tool's answer is the server's text: drawn as a model's is, without controls.
      printBody(result.content.endsWith('\n') ? result.content : `${result.content}\n`);
    }
    return result.isError ? EXIT_FAILURE : EXIT_OK;
  });
}
