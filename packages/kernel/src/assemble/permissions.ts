/**
 * What an agent is permitted (Oxios's AgentPermissions): [permissions], overridden field by
 * field by [agents.<name>.permissions]. Tools it may not use are hidden from the model, and
 * every call is checked again before it runs (a model can name a tool it was not offered):
 * a refusal is the tool's error and an `access_denied` audit entry.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Recalled, RecallHook } from '@oxydra/runtime';
import type { TaintScreen, TaintVerdict } from '@oxydra/tools';
import {
  type AgentConfig,
  characterFormat,
  describeProvenance,
  type Provenance,
  type ProvenanceKind,
  type TaintAction,
  type TaintRecall,
  type TaintRule,
  type ToolContext,
  type ToolInvocation,
} from '@oxydra/types';
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
  options: {
    workspace: string;
    audit: Pick<KernelAudit, 'recordLater'>;
    agentName: string;
    delegateTool: string;
  },
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
function workspacePath(realWorkspace: string, workspace: string, value: string): string | undefined {
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

function realOrSelf(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

/**
 * The taint policy (issue 37), in one place: once a run's context holds untrusted content (a
 * fetched page, an MCP server's answer, another sender's message, and workspace files or
 * sub-agents' answers where [taint] untrusted names them), a prompt injected there could steer
 * the next call. [taint.rules] decides what such a run may still do without a fresh human
 * approval: commands that reach the network, writes outside write_paths or into secret-looking
 * or instruction files, sending to remote agents, schedules, memory notes. The registry carries
 * the verdict out (asks with the reason even under --yes; refuses where nobody can answer):
 * tools/src/taint-gate.ts.
 */

export interface TaintPolicy {
  enabled: boolean;
  untrusted: ReadonlySet<ProvenanceKind>;
  operators: readonly string[];
  rules: Readonly<Record<TaintRule, TaintAction>>;
  writePaths?: readonly string[];
  protectedPaths: readonly string[];
  /**
   * Files and folders the config reads as instructions (system_prompt_file, character files,
   * [skills] dirs), as configured: a later clean session trusts what a tainted run wrote there.
   */
  instructionPaths: readonly string[];
  tools: Readonly<Record<string, TaintAction>>;
  /** Whether shell_exec's commands can reach the network (the sandbox's setting, the agent's permission). */
  shellNetworked: boolean;
  /** What recall does with text a tainted run wrote (recallUnderPolicy below). */
  recall: TaintRecall;
}

/** The tools each rule covers, by name, and the argument naming the path a file tool changes. */
const FILE_TOOLS: Readonly<Record<string, string>> = {
  file_write: 'path',
  file_edit: 'path',
  file_delete: 'path',
  vault_copyto: 'destination_path',
};
const SCHEDULE_TOOLS = new Set(['schedule_create', 'schedule_update']);
const SEND_TOOLS = new Set([A2A_DELEGATE_TOOL]);
/**
 * A note outlives the run: recall adds it to later sessions as memory, with no trace of the page
 * that dictated it, so a planted instruction would steer a clean run the policy never gates.
 */
const MEMORY_TOOLS = new Set(['memory_save', 'memory_update']);

/** [taint] with the agent's [agents.<name>.taint] over it, field by field. */
export function resolveTaintPolicy(
  config: AgentConfig,
  agentName: string | undefined,
  permissions: AgentPermissions,
): TaintPolicy {
  const base = config.taint;
  const own =
    agentName !== undefined && Object.hasOwn(config.agents, agentName)
      ? config.agents[agentName]?.taint
      : undefined;
  const { mode, network } = config.tools.sandbox;
  const writePaths = own?.write_paths ?? base.write_paths ?? permissions.allowedPaths;
  return {
    enabled: own?.enabled ?? base.enabled,
    untrusted: new Set(own?.untrusted ?? base.untrusted),
    operators: base.operators,
    rules: { ...base.rules, ...definedOnly(own?.rules ?? {}) },
    ...(writePaths !== undefined ? { writePaths } : {}),
    protectedPaths: own?.protected_paths ?? base.protected_paths,
    instructionPaths: instructionPaths(config),
    tools: { ...base.tools, ...own?.tools },
    // Without the sandbox commands have the host's network whatever network says.
    shellNetworked: mode === 'none' || (network !== 'off' && permissions.network !== 'off'),
    recall: base.recall,
  };
}

/** Every agent's system_prompt_file and character file, and the skill folders: read as instructions. */
function instructionPaths(config: AgentConfig): string[] {
  const paths: string[] = [...config.skills.dirs];
  // A persona is a name unless it is a character file.
  const characterFile = (persona: string | undefined) =>
    persona !== undefined && characterFormat(persona) !== undefined ? [persona] : [];
  paths.push(...characterFile(config.persona));
  for (const agent of Object.values(config.agents)) {
    if (agent.system_prompt_file !== undefined) paths.push(agent.system_prompt_file);
    paths.push(...characterFile(agent.persona));
  }
  return paths;
}

/**
 * The prompt's provenance as the run records it: a channel message from one of [taint]
 * operators is the user's own, unless it passes on someone else's words (`relayed`: a forwarded
 * message); anything else is kept as the caller said.
 */
export function promptProvenance(
  policy: Pick<TaintPolicy, 'operators'>,
  provenance: Provenance | undefined,
  userId: string | undefined,
): Provenance | undefined {
  if (
    provenance?.kind === 'channel' &&
    provenance.relayed !== true &&
    userId !== undefined &&
    policy.operators.includes(userId)
  ) {
    return undefined;
  }
  return provenance;
}

/** The registry's `screen` for one agent: the verdict on a call of a run holding provenance. */
export function taintScreen(
  policy: TaintPolicy,
  workspace: string,
  agentName: string,
): TaintScreen | undefined {
  if (!policy.enabled) return undefined;
  const realWorkspace = realOrSelf(workspace);
  // Compiled at a tainted run's first file write, the only calls they judge, not when the screen
  // is made: every assembly of an agent makes one (the gateway's at start, where picomatch's
  // compiling of the default protected paths was ~2 ms).
  let globs: { writable: picomatch.Matcher[] | undefined; guarded: picomatch.Matcher[] } | undefined;
  const matchers = () =>
    (globs ??= {
      writable: policy.writePaths?.map((glob) => picomatch(glob, { dot: true })),
      guarded: policy.protectedPaths.map((glob) => picomatch(glob, { dot: true })),
    });
  // Those inside the workspace, as its relative paths (a write outside is asked about anyway):
  // resolved at a tainted run's first file write, not for every run the screen is made for.
  let instructions: string[] | undefined;
  const instructs = (inside: string) => {
    instructions ??= policy.instructionPaths.flatMap(
      (path) => workspacePath(realWorkspace, workspace, path) ?? [],
    );
    return instructions.some((path) => path === '.' || inside === path || inside.startsWith(`${path}/`));
  };
  const where = `[agents.${agentName}.taint] or [taint]`;

  /** The rule that covers a call, with what it says about it; undefined: not sensitive. */
  const ruleFor = (
    name: string,
    args: Record<string, unknown>,
  ): { action: TaintAction; what: string; fix: string } | undefined => {
    const tool = policy.tools[name];
    if (tool !== undefined)
      return { action: tool, what: '', fix: `tools = { ${name} = "allow" } in ${where}` };
    const rule = (key: TaintRule, what: string) => ({
      action: policy.rules[key],
      what,
      fix: `${key} = "allow" in ${where.replaceAll('taint]', 'taint.rules]')}`,
    });
    if (name === 'shell_exec') {
      return policy.shellNetworked
        ? rule('shell_network', 'its command can reach the network')
        : rule('shell', '');
    }
    const pathKey = FILE_TOOLS[name];
    if (pathKey !== undefined) {
      const value = args[pathKey];
      if (typeof value !== 'string') return undefined;
      const inside = workspacePath(realWorkspace, workspace, value);
      if (inside === undefined)
        return rule('file_write', `it changes ${JSON.stringify(value)}, outside the workspace`);
      const { writable, guarded } = matchers();
      if (guarded.some((match) => match(inside)))
        return rule('file_write', `it changes ${JSON.stringify(value)}, a protected path`);
      if (instructs(inside))
        return rule(
          'file_write',
          `it changes ${JSON.stringify(value)}, which the config reads as instructions (a system prompt, persona or skill)`,
        );
      if (writable && !writable.some((match) => match(inside) || match(`${inside}/`)))
        return rule('file_write', `it changes ${JSON.stringify(value)}, outside the paths it may write`);
      return undefined;
    }
    if (SEND_TOOLS.has(name)) return rule('send', 'it sends to a remote agent');
    if (SCHEDULE_TOOLS.has(name)) return rule('schedule', 'it schedules work that runs later');
    if (MEMORY_TOOLS.has(name)) return rule('memory', 'it keeps a note that later sessions recall');
    return undefined;
  };

  return (call, context): TaintVerdict | undefined => {
    const untrusted = (context.provenance ?? []).filter((p) => policy.untrusted.has(p.kind));
    if (untrusted.length === 0) return undefined;
    const rule = ruleFor(call.name, call.arguments);
    if (rule === undefined || rule.action === 'allow') return undefined;
    // The newest source is the likeliest author of the instruction; the others are counted.
    const latest = untrusted[untrusted.length - 1]!;
    const more =
      untrusted.length > 1
        ? ` (and ${untrusted.length - 1} more untrusted source${untrusted.length > 2 ? 's' : ''})`
        : '';
    const reason = `this call follows content from ${describeProvenance(latest)}${more}${rule.what ? ` and ${rule.what}` : ''}`;
    return { action: rule.action, reason, fix: rule.fix };
  };
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Recall under the agent's taint policy (docs/security.md, "Recalled conversations"): a snippet
 * written while its run's context held untrusted content comes back with those sources (the
 * session's hook names where it was recalled from), so the run that recalls it records them and
 * the policy gates its later risky calls as it gated the run that read the page; the runtime
 * shows it below an untrusted line. Sources of kinds this agent trusts (a workspace file, by
 * default) are dropped here: the snippet is then plain, and costs no token more than before.
 * [taint] recall = "exclude" leaves tainted snippets out instead; with the policy off, every
 * snippet is plain, as it always was.
 */
export function recallUnderPolicy(
  policy: Pick<TaintPolicy, 'enabled' | 'untrusted' | 'recall'>,
  hook: RecallHook,
): RecallHook {
  return async (query, signal) => {
    const found = await hook(query, signal);
    let kept: Recalled[] | undefined;
    found.forEach((snippet, i) => {
      const judged = judge(policy, snippet);
      // Copied only from the first snippet that changes: a clean recall allocates nothing more.
      if (judged !== snippet && kept === undefined) kept = found.slice(0, i);
      if (kept !== undefined && judged !== undefined) kept.push(judged);
    });
    return kept ?? found;
  };
}

/** The snippet as the run should get it; undefined: left out. */
function judge(
  policy: Pick<TaintPolicy, 'enabled' | 'untrusted' | 'recall'>,
  snippet: Recalled,
): Recalled | undefined {
  if (typeof snippet === 'string') return snippet;
  if (!policy.enabled) return snippet.text;
  const untrusted = snippet.provenance.filter((provenance) => policy.untrusted.has(provenance.kind));
  if (untrusted.length === 0) return snippet.text;
  if (policy.recall === 'exclude') return undefined;
  return untrusted.length === snippet.provenance.length
    ? snippet
    : { text: snippet.text, provenance: untrusted };
}
