/**
 * The kernel's MCP tool sources: one McpServerSource per enabled `[mcp.servers.<name>]`. A stdio
 * server that must run in the sandbox and cannot is still returned, failed (its health line
 * says why and how to fix it), so `oxydra doctor`, `/readyz` and `oxydra mcp list` show it.
 */
import type { EgressDecision } from '@oxydra/sandbox';
import type { McpConfig } from '@oxydra/types';
import { McpServerSource, type ReconnectOptions } from './source.js';
import { planStdio, type SandboxSettings, type StdioLaunch } from './stdio-launch.js';

export interface McpSourcesOptions {
  workspace: string;
  /** [tools.sandbox]: the policy stdio servers run under (unless `sandbox = false`). */
  sandbox: SandboxSettings;
  /** Paths hidden inside the sandbox besides the default secrets folders (the vault). */
  hidden?: readonly string[];
  /** Oxydra's environment: bearer tokens and the servers' PATH come from it. */
  env: Readonly<Record<string, string | undefined>>;
  warn?: (message: string) => void;
  /** network = allowlist: each connection a sandboxed server asks for (the audit chain). */
  onEgress?: (decision: EgressDecision) => void;
  reconnect?: ReconnectOptions;
}

export function mcpToolSources(config: McpConfig, options: McpSourcesOptions): McpServerSource[] {
  const sources: McpServerSource[] = [];
  for (const [server, entry] of Object.entries(config.servers)) {
    if (!entry.enabled) continue;
    let launch: StdioLaunch | undefined;
    let refusal: string | undefined;
    if (entry.command !== undefined) {
      if (!entry.sandbox && options.sandbox.mode !== 'none') {
        options.warn?.(
          `mcp:${server} runs unsandboxed (sandbox = false): the server has all of your user's access to files and network`,
        );
      }
      try {
        launch = planStdio(entry, {
          workspace: options.workspace,
          sandbox: options.sandbox,
          env: options.env,
          ...(options.hidden ? { hidden: options.hidden } : {}),
          ...(options.onEgress ? { onEgress: options.onEgress } : {}),
        });
      } catch (error) {
        refusal = (error as Error).message;
      }
    }
    sources.push(
      new McpServerSource({
        server,
        config: entry,
        callTimeoutMs: config.call_timeout_secs * 1000,
        startTimeoutMs: config.start_timeout_secs * 1000,
        env: options.env,
        ...(launch ? { launch } : {}),
        ...(refusal !== undefined ? { refusal } : {}),
        ...(options.reconnect ? { reconnect: options.reconnect } : {}),
      }),
    );
  }
  return sources;
}
