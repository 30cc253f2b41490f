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
import {
  didYouMean,
  type Message,
  type NewSession,
  type Provider,
  type StoredSession,
  sessionIdProblem,
  type Tool,
  UsageError,
} from '@oxydra/types';
import type { KernelPersonas } from '../personas/agent-persona.js';
import type { BudgetAccount } from '../services/budgets/accounts.js';
import { promptSkills } from '../skills/held-skills.js';
import type { AgentLimits, SpawnSpec } from '../types.js';
import { type AgentSettings, promptSources, resolveAgentSettings } from './agent-settings.js';
import type { KernelBase } from './base.js';
import { sessionHooks, type WorkspaceMemory } from './memory.js';
import {
  type AgentPermissions,
  authorizer,
  DELEGATE_TOOL,
  resolvePermissions,
  resolveTaintPolicy,
  type TaintPolicy,
  taintScreen,
  toolRefusal,
} from './permissions.js';

/** The top-level configuration's name, for agents spawned without one. */
export const DEFAULT_AGENT = 'default';

/** What an assembly depends on: the parts of a SpawnSpec that change the agent, not the task. */
export type AssemblyRequest = Pick<SpawnSpec, 'agent' | 'selection' | 'tools' | 'systemPrompt' | 'approval'>;

export interface AgentAssembly {
  name: string;
  settings: AgentSettings;
  permissions: AgentPermissions;
  /** What a run holding untrusted content may do (permissions.ts's taint policy). */
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
function assemblyKey(request: AssemblyRequest): string {
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
function assembleAgent(
  base: KernelBase,
  request: AssemblyRequest,
  extraTools: (settings: AgentSettings) => Tool[],
  beforeChange?: ToolRegistryOptions['beforeChange'],
  /** The persona the agent speaks as (personas/agent-persona.ts), if any: its file and rendered prompt. */
  persona?: { path: string; prompt: string },
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
  // A prompt the caller gave is theirs; the configuration's may be the workspace's.
  const sources = promptSources(
    base,
    request.systemPrompt === undefined ? agentName : undefined,
    persona?.path,
  );
  const skills = promptSkills(base.skills, tools.specs()).map((skill) => {
    if (!skill.from) return skill;
    const { from: _found, ...rest } = skill;
    const from = sources.skillFolder(skill.from);
    return from ? { ...rest, from } : rest;
  });
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
        ...(sources.agentPrompt ? { agentPromptFrom: sources.agentPrompt } : {}),
        ...(persona !== undefined ? { persona: persona.prompt } : {}),
        ...(sources.persona ? { personaFrom: sources.persona } : {}),
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

/**
 * Opening the stored conversation an agent runs in: a new session, or an existing one named by
 * full id, short id or prefix (a new name creates it). With a user, what the session stores is
 * that user's and recall searches only that user's notes and conversations.
 */
export interface OpenedSession {
  id: string;
  /** The conversation so far (empty for a new session). */
  history: Message[];
  /** The runtime hooks that persist, recall and summarise for this session. */
  options: Partial<AgentRunOptions>;
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Refuses a session name that cannot be stored, before anything runs. */
export function checkSessionName(base: KernelBase, id: string | undefined): void {
  if (id === undefined) return;
  if (!base.memory) {
    throw new UsageError('--session needs memory, and [memory] enabled = false', {
      hint: 'remove --session, or enable memory (OXYDRA__MEMORY__ENABLED=true)',
    });
  }
  if (!SESSION_ID.test(id)) {
    throw new UsageError(`--session ${JSON.stringify(id)}: use 1-128 letters, digits, ".", "_", ":" or "-"`);
  }
  // A URL's dot segment: every HTTP client resolves it before sending, so no route could name it.
  if (id === '.' || id === '..') {
    throw new UsageError(`--session ${JSON.stringify(id)}: "${id}" cannot be a session name`, {
      hint: 'choose a name with a letter or digit in it',
    });
  }
}

export async function openSession(
  base: KernelBase,
  memory: WorkspaceMemory,
  request: {
    id?: string;
    userId?: string;
    agent?: string;
    parentSessionId?: string;
    /** SpawnSpec.sessionWrites. */
    writes?: SpawnSpec['sessionWrites'];
    /** The account the summary model's calls are charged to (the turn's, asked at each call). */
    payer?: () => BudgetAccount | undefined;
  },
): Promise<OpenedSession> {
  const { id, userId } = request;
  const scope = userId !== undefined ? { userId } : {};
  const fields = {
    ...(request.agent !== undefined ? { agent: request.agent } : {}),
    ...(request.parentSessionId !== undefined ? { parentSessionId: request.parentSessionId } : {}),
    ...scope,
  };
  // The session named by its full id (a continued conversation: most turns) is read once, before
  // anything else: its row and its history's stamp in one statement (SessionStore.stamp with
  // `session`), then only what is new of its history. Its row is used when the user's lookup
  // would name that id (found, and the user's or no user given: the lookup's exact match), so the
  // lookup is asked only when it is not (a new name, a short id or prefix, another user's id);
  // the user check below applies to it as to the row getOrCreate reads. On a database server:
  // one statement where the row, the lookup and the stamp were three, on three connections.
  const early = id === undefined ? undefined : memory.histories.opened(id);
  early?.catch(() => {});
  const session =
    id === undefined
      ? await memory.db.sessions.create(fields)
      : await openNamed(memory, id, scope, fields, early);
  // Created just now: nothing stored under it yet (no audit head copy, no summary) to read.
  if (id === undefined) base.audit.sessionCreated(session.id);
  // A user's agents never continue someone else's conversation, whatever id they are given (a
  // full id is not found by the user-scoped lookup, but getOrCreate would open it). Only a run
  // without a user (the workspace's owner) may continue any session.
  if (userId !== undefined && session.userId !== userId) throw foreignSession(id);
  return {
    id: session.id,
    // Only what changed since the session's last turn is read (session-history.ts).
    history:
      id === undefined
        ? []
        : session.id === id && early
          ? // Created just now (not there when read early): read again.
            await early.then(
              (opened) => opened.messages,
              () => memory.histories.load(session.id),
            )
          : await memory.histories.load(session.id),
    options: sessionHooks(memory, {
      sessionId: session.id,
      ...(id === undefined ? { created: true } : {}),
      ...scope,
      config: base.config,
      summarize: (messages, previous, signal) => {
        const call = () => base.summarize(messages, previous, signal);
        const account = request.payer?.();
        return account ? account.sideCall(call) : call().then((answer) => answer.text);
      },
      secrets: base.secrets,
      warn: base.warn,
      ...(request.writes ? { writes: request.writes } : {}),
    }),
  };
}

/** The session `id` names (the row read early when it is that one), created when there is none. */
async function openNamed(
  memory: WorkspaceMemory,
  id: string,
  scope: { userId?: string },
  fields: Omit<NewSession, 'id'>,
  early: Promise<{ session: StoredSession }> | undefined,
): Promise<StoredSession> {
  const row = await early?.then(
    (opened) => opened.session,
    () => undefined,
  );
  // The lookup's exact match: it would answer [id] (SessionStore.lookup reads the exact id first).
  if (row && (scope.userId === undefined || row.userId === scope.userId)) return row;
  const named = await sessionNamed(memory, id, scope);
  const found = named === id ? row : undefined;
  if (found) return found;
  // A name no session of this user's has: created, unless it is another user's default session.
  // The ownership rule's module is loaded for a user's scope only: the workspace's owner (the
  // CLI, an owner token) may use every session, so a one-shot run does not load it.
  if (scope.userId !== undefined) {
    const { mayUse, reservedForOther } = await import('../services/session-access.js');
    if (reservedForOther(named, scope)) {
      const theirs = await memory.db.sessions.get(named);
      if (!theirs || !mayUse(theirs.userId, scope)) throw foreignSession(id);
      return theirs;
    }
  }
  return memory.db.sessions.getOrCreate(named, fields);
}

/** The refusal for a session of another user's, named by its id (or kept for them). */
function foreignSession(id: string | undefined): UsageError {
  return new UsageError(`session ${JSON.stringify(id)} belongs to another user`, {
    hint: 'continue one of your own sessions, or start a new one',
  });
}

/**
 * The stored session a value names (full id, short id or prefix), else the value itself: a
 * session of that name is created. Ambiguous values are refused, listing the candidates.
 */
export async function sessionNamed(
  memory: WorkspaceMemory,
  typed: string,
  scope: { userId?: string },
): Promise<string> {
  const ids = await memory.db.sessions.lookup(typed, scope);
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) return typed;
  throw new UsageError(`--session: ${sessionIdProblem(typed, ids)}`);
}

/**
 * The kernel's cache of assembled agents: one assembly per distinct agent request, reused by
 * every spawn until something it was made from changes (the tool list, a skill or program
 * installed or switched, the persona file it speaks as).
 */
/** What a host shows about an agent before running it (banners, /v1/models). */
export interface AgentDescription {
  name: string;
  providerName: string;
  model: ModelInfo;
  tools: string[];
  /** Its configured limits ([agents.<name>] over [runtime]), before any spawn's own. */
  limits: AgentLimits;
}

export interface AssembliesDeps {
  base: KernelBase;
  personas: KernelPersonas;
  /** The kernel's own tools for an agent (delegation, held services' tools, skills). */
  kernelTools(agent: string | undefined, settings: AgentSettings): Tool[];
  /** Asked before any tool that changes something runs (checkpoints, approvals). */
  beforeChange(tool: { name: string; safety: string }, agentId: string | undefined): Promise<void>;
}

export class Assemblies {
  readonly #deps: AssembliesDeps;
  readonly #cache = new Map<string, AgentAssembly>();
  /** The persona file version each cached assembly was made with. */
  readonly #personaStamps = new WeakMap<AgentAssembly, string>();

  constructor(deps: AssembliesDeps) {
    this.#deps = deps;
  }

  get(request: AssemblyRequest): AgentAssembly {
    const { base, personas } = this.#deps;
    // A skill or program installed, removed or switched since: agents get the new list.
    if (base.skills?.refreshIfDue()) this.#cache.clear();
    const key = assemblyKey(request);
    const persona = personas.forAgent(base.config, request.agent);
    const personaStamp = persona ? `${persona.path}\0${persona.stamp}` : '';
    let assembly = this.#cache.get(key);
    if (!assembly || this.#personaStamps.get(assembly) !== personaStamp) {
      assembly = assembleAgent(
        base,
        request,
        (settings) => this.#deps.kernelTools(request.agent, settings),
        (tool, context) => this.#deps.beforeChange(tool, context.agentId),
        persona,
      );
      this.#cache.set(key, assembly);
      this.#personaStamps.set(assembly, personaStamp);
    }
    return assembly;
  }

  /** What an agent spawned with `request` would be: its name, model, tools and limits (kernel.describe). */
  describe(request: AssemblyRequest): AgentDescription {
    const assembly = this.get(request);
    const { maxTurns, maxCostUsd, maxCostSource } = assembly.settings;
    return {
      name: assembly.name,
      providerName: assembly.providerName,
      model: assembly.model,
      tools: assembly.tools.specs().map((tool) => tool.name),
      limits: {
        maxTurns,
        ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
        ...(maxCostSource !== undefined ? { maxCostSource } : {}),
      },
    };
  }

  /** Every agent assembles anew at its next spawn (a tool source's list or a persona changed). */
  clear(): void {
    this.#cache.clear();
  }
}
