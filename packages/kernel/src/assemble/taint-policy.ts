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
} from '@oxydra/types';
import picomatch from 'picomatch';
import { A2A_DELEGATE_TOOL, type AgentPermissions, realOrSelf, workspacePath } from './permissions.js';

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
 * operators is the user's own; anything else is kept as the caller said.
 */
export function promptProvenance(
  policy: Pick<TaintPolicy, 'operators'>,
  provenance: Provenance | undefined,
  userId: string | undefined,
): Provenance | undefined {
  if (provenance?.kind === 'channel' && userId !== undefined && policy.operators.includes(userId)) {
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
  const writable = policy.writePaths?.map((glob) => picomatch(glob, { dot: true }));
  const guarded = policy.protectedPaths.map((glob) => picomatch(glob, { dot: true }));
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
