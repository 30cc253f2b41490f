/**
 * What an agent is permitted (Oxios's AgentPermissions): [permissions], overridden field by
 * field by [agents.<name>.permissions]. Tools it may not use are hidden from the model, and
 * every call is checked again before it runs (a model can name a tool it was not offered):
 * a refusal is the tool's error and an `access_denied` audit entry.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { AgentConfig, ToolContext, ToolInvocation } from '@oxydra/types';
import picomatch from 'picomatch';
import type { KernelAudit } from '../services/audit/audit-log.js';

/**
 * Names of the kernel's own tools: here, where permissions check them, so the modules that
 * define them (delegate.ts, a2a/delegate-tool.ts) and those that check them need not import each other.
 */
export const DELEGATE_TOOL = 'delegate_to_agent';
export const A2A_DELEGATE_TOOL = 'a2a_delegate';

/**
 * Which of the kernel's own tools the configuration turns on: delegation ([agents.<name>] to
 * delegate to), a2a_delegate ([a2a.remotes]) and the schedule tools ([scheduler] enabled). Here,
 * apart from the module that makes them (services/held-tools.ts), so a kernel with none on does
 * not load that module.
 */
export function kernelToolsOn(config: AgentConfig): { delegate: boolean; a2a: boolean; schedules: boolean } {
  return {
    delegate: Object.keys(config.agents).length > 0,
    a2a: Object.keys(config.a2a.remotes).length > 0,
    schedules: config.scheduler.enabled,
  };
}

export interface AgentPermissions {
  allowedTools?: string[];
  allowedPaths?: string[];
  network: 'inherit' | 'off';
  canDelegate: boolean;
  maxRunSecs?: number;
}

const WEB_TOOLS = new Set(['web_fetch', 'web_search', A2A_DELEGATE_TOOL]);
/** Arguments of the file tools that name a workspace path. */
const PATH_ARGUMENTS = ['path', 'destination_path'] as const;

export function resolvePermissions(config: AgentConfig, agentName: string | undefined): AgentPermissions {
  const base = config.permissions;
  const own =
    agentName !== undefined && Object.hasOwn(config.agents, agentName)
      ? config.agents[agentName]?.permissions
      : undefined;
  const allowedTools = own?.allowed_tools ?? base.allowed_tools;
  const allowedPaths = own?.allowed_paths ?? base.allowed_paths;
  const maxRunSecs = own?.max_run_secs ?? base.max_run_secs;
  return {
    ...(allowedTools ? { allowedTools: [...allowedTools] } : {}),
    ...(allowedPaths ? { allowedPaths: [...allowedPaths] } : {}),
    network: own?.network ?? base.network,
    canDelegate: own?.can_delegate ?? base.can_delegate,
    ...(maxRunSecs !== undefined ? { maxRunSecs } : {}),
  };
}

/** Why the agent may not call `tool` at all, or undefined. */
export function toolRefusal(
  permissions: AgentPermissions,
  tool: string,
  delegateTool: string,
): string | undefined {
  const { allowedTools, allowedPaths, network, canDelegate } = permissions;
  if (allowedTools && !allowedTools.includes(tool)) {
    return `this agent may not use ${tool} (its allowed_tools: ${allowedTools.join(', ') || 'none'})`;
  }
  if (network === 'off' && (WEB_TOOLS.has(tool) || tool.startsWith('browser_')))
    return `this agent has no network access (network = "off"), so no ${tool}`;
  if (!canDelegate && (tool === delegateTool || tool === A2A_DELEGATE_TOOL))
    return 'this agent may not delegate (can_delegate = false)';
  if (allowedPaths && tool === 'shell_exec' && !allowedTools?.includes('shell_exec')) {
    return 'this agent is limited to allowed_paths, which commands cannot be held to; name shell_exec in allowed_tools to let it run commands anyway';
  }
  return undefined;
}

/** The registry's `authorize` hook for an agent: refusals are audited. */
export function authorizer(
  permissions: AgentPermissions,
  options: { workspace: string; audit: KernelAudit; agentName: string; delegateTool: string },
): (call: ToolInvocation, context: ToolContext) => string | undefined {
  const matchers = permissions.allowedPaths?.map((glob) => picomatch(glob, { dot: true }));
  const realWorkspace = realOrSelf(options.workspace);
  return (call, context) => {
    const actor = `agent:${context.agentId ?? options.agentName}`;
    const deny = (reason: string, permission: string, resource: string) => {
      options.audit.recordLater(actor, 'access_denied', { tool: call.name, permission, reason }, resource);
      return `Permission denied: ${reason}.`;
    };
    const refusal = toolRefusal(permissions, call.name, options.delegateTool);
    if (refusal !== undefined) return deny(refusal, 'use_tool', call.name);
    if (!matchers) return undefined;
    for (const key of PATH_ARGUMENTS) {
      const value = call.arguments?.[key];
      if (typeof value !== 'string') continue;
      const inside = workspacePath(realWorkspace, options.workspace, value);
      if (inside === undefined || !matchers.some((match) => match(inside) || match(`${inside}/`))) {
        return deny(
          `this agent may not touch ${JSON.stringify(value)} (its allowed_paths: ${permissions.allowedPaths!.join(', ')})`,
          'access_path',
          value,
        );
      }
    }
    return undefined;
  };
}

/**
 * The path relative to the workspace after following links in the part that exists (a link
 * inside an allowed folder to somewhere else is judged by where it leads); undefined outside.
 */
export function workspacePath(realWorkspace: string, workspace: string, value: string): string | undefined {
  const absolute = isAbsolute(value) ? value : resolve(workspace, value);
  let existing = absolute;
  let rest = '';
  for (;;) {
    try {
      existing = realpathSync.native(existing);
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) break;
      rest = rest ? join(existing.slice(parent.length + 1), rest) : existing.slice(parent.length + 1);
      existing = parent;
    }
  }
  const full = rest ? join(existing, rest) : existing;
  const inside = relative(realWorkspace, full);
  if (inside === '') return '.';
  if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) return undefined;
  return inside.split(sep).join('/');
}

export function realOrSelf(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}
