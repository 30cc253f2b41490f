/**
 * One agent assembled from configuration: its settings ([agents.<name>] over [runtime]), its
 * provider (credentials, catalog, retries, fallbacks), its tool registry (allowlist, approvals,
 * scrubbing) and its system prompt. Made once per distinct request and cached by the kernel,
 * so spawning the hundredth agent of a name costs a map lookup.
 */
import { homedir } from 'node:os';
import { createProvider, type ModelInfo } from '@oxydra/provider/core';
import { type AgentRunOptions, defaultSystemPrompt } from '@oxydra/runtime';
import { ToolRegistry, type ToolRegistryOptions, workspacePathMapping } from '@oxydra/tools';
import { didYouMean, type Provider, type Tool, UsageError } from '@oxydra/types';
import { promptSkills } from '../skills/skill-load-tool.js';
import type { SpawnSpec } from '../types.js';
import { type AgentSettings, resolveAgentSettings } from './agent-settings.js';
import type { KernelBase } from './base.js';
import {
  type AgentPermissions,
  authorizer,
  DELEGATE_TOOL,
  resolvePermissions,
  toolRefusal,
} from './permissions.js';
import { resolveTaintPolicy, type TaintPolicy, taintScreen } from './taint-policy.js';

/** The top-level configuration's name, for agents spawned without one. */
export const DEFAULT_AGENT = 'default';

/** What an assembly depends on: the parts of a SpawnSpec that change the agent, not the task. */
export type AssemblyRequest = Pick<SpawnSpec, 'agent' | 'selection' | 'tools' | 'systemPrompt' | 'approval'>;

export interface AgentAssembly {
  name: string;
  settings: AgentSettings;
  permissions: AgentPermissions;
  /** What a run holding untrusted content may do (taint-policy.ts). */
  taint: TaintPolicy;
  provider: Provider;
  providerName: string;
  model: ModelInfo;
  tools: ToolRegistry;
  /** What startAgentRun needs besides the task, session, budgets and signal. */
  base: Required<
    Pick<AgentRunOptions, 'provider' | 'model' | 'tools' | 'workspace' | 'systemPrompt' | 'contextBudget'>
  >;
}

/** The cache key of an assembly: equal requests share one. */
export function assemblyKey(request: AssemblyRequest): string {
  return JSON.stringify([
    request.agent ?? DEFAULT_AGENT,
    request.selection ?? null,
    request.tools ?? null,
    request.systemPrompt ?? null,
    request.approval ?? null,
  ]);
}

/**
 * Assembles an agent. `extraTools` are the kernel's own tool sources for this agent (delegation);
 * they obey the same allowlist as the core tools.
 */
export function assembleAgent(
  base: KernelBase,
  request: AssemblyRequest,
  extraTools: (settings: AgentSettings) => Tool[],
  beforeChange?: ToolRegistryOptions['beforeChange'],
  /** The rendered persona the agent speaks as (personas/agent-persona.ts), if any. */
  persona?: string,
): AgentAssembly {
  const { config, workspace } = base;
  const agentName = request.agent === DEFAULT_AGENT ? undefined : request.agent;
  const settings = resolveAgentSettings(config, agentName, { baseDir: workspace });
  const selection = request.selection ?? {};
  const setup = createProvider(config, {
    env: base.env,
    // The agent is resolved once, above; the factory takes its selection as it is.
    selection: settings.selection,
    ...(selection.provider !== undefined ? { providerName: selection.provider } : {}),
    ...(selection.model !== undefined ? { model: selection.model } : {}),
    ...(selection.baseURL !== undefined ? { baseURL: selection.baseURL } : {}),
    ...(base.adapters ? { adapters: base.adapters } : {}),
  });
  const own = [...base.tools, ...extraTools(settings)];
  const all = [...own, ...(base.toolSources?.tools(new Set(own.map((tool) => tool.name))) ?? [])];
  const permissions = resolvePermissions(config, agentName);
  const known = all.map((tool) => tool.name);
  // What the agent may not use is not offered (and refused, audited, if called anyway).
  // Without a tool list, the tools offered on request only are left out.
  const requested =
    toolAllowlist(request.tools, settings.tools, known) ??
    all.filter((tool) => tool.onRequest !== true).map((tool) => tool.name);
  const permitted = requested.filter((name) => toolRefusal(permissions, name, DELEGATE_TOOL) === undefined);
  const allow = permitted.length === known.length ? undefined : permitted;
  const taint = resolveTaintPolicy(config, agentName, permissions);
  const screen = taintScreen(taint, workspace, request.agent ?? DEFAULT_AGENT);
  const tools = new ToolRegistry(all, {
    approval: request.approval ?? config.tools.approval,
    defaultTimeoutMs: settings.turnTimeoutMs,
    secrets: base.secrets,
    onApproval: base.audit.approval,
    ...(beforeChange ? { beforeChange } : {}),
    ...(screen ? { screen } : {}),
    authorize: authorizer(permissions, {
      workspace,
      audit: base.audit,
      agentName: request.agent ?? DEFAULT_AGENT,
      delegateTool: DELEGATE_TOOL,
    }),
    hostPaths: [workspacePathMapping(workspace), { from: homedir(), to: '~' }],
    ...(allow !== undefined ? { allow } : {}),
  });
  const agentPrompt = request.systemPrompt ?? settings.systemPrompt;
  const skills = promptSkills(base.skills, tools.specs());
  return {
    name: request.agent ?? DEFAULT_AGENT,
    settings,
    permissions,
    taint,
    provider: setup.provider,
    providerName: setup.providerName,
    model: setup.model,
    tools,
    base: {
      provider: setup.provider,
      model: setup.model,
      tools,
      workspace,
      systemPrompt: defaultSystemPrompt({
        workspace,
        tools: tools.specs(),
        ...(agentPrompt !== undefined ? { agentPrompt } : {}),
        ...(persona !== undefined ? { persona } : {}),
        ...(skills.length > 0 ? { skills } : {}),
      }),
      contextBudget: {
        safetyBufferTokens: config.runtime.context_budget.safety_buffer_tokens,
        fallbackMaxContextTokens: config.runtime.context_budget.fallback_max_context_tokens,
      },
    },
  };
}

/** The tool names an agent may use: the requested ones (all known), narrowed by the agent's allowlist. */
function toolAllowlist(
  requested: string[] | undefined,
  agentTools: string[] | undefined,
  known: string[],
): string[] | undefined {
  if (requested !== undefined) {
    for (const name of requested) {
      if (!known.includes(name)) {
        throw new UsageError(`--tools: unknown tool "${name}"${didYouMean(name, known)}`, {
          hint: `available tools: ${known.join(', ')}`,
        });
      }
    }
  }
  if (agentTools === undefined) return requested;
  return requested === undefined ? agentTools : requested.filter((name) => agentTools.includes(name));
}
