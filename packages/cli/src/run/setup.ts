/**
 * From flags and configuration to everything one agent run needs: the provider (credentials,
 * catalog, retries, fallbacks), the tool registry (allowlists, approvals, scrubbing), the
 * system prompt and the budgets. Shared by `oxydra run`, `oxydra chat` and `oxydra demo`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { credentialValues, loadAgentConfig, type Override, oxydraSecretDirectories } from '@oxydra/config';
import { type AdapterFactories, createProvider, type ModelInfo } from '@oxydra/provider';
import {
  type AgentRunOptions,
  defaultSystemPrompt,
  resolveAgentSettings,
  unenforceableCostLimit,
} from '@oxydra/runtime';
import { homeSecretPaths } from '@oxydra/sandbox';
import { createCoreTools, resolveVaultPath, ToolRegistry, workspacePathMapping } from '@oxydra/tools';
import {
  type AgentConfig,
  didYouMean,
  type Message,
  type Provider,
  type SandboxStatus,
  sessionIdProblem,
  UsageError,
} from '@oxydra/types';
import { type ConfigFlagValues, toCliOverrides } from '../config-flags.js';
import { approvalAuditor } from './audit.js';
import { loadHistory, openWorkspaceMemory, sessionHooks, type WorkspaceMemory } from './memory.js';
import { shellIsolation } from './sandbox.js';
import { modelSummarizer } from './summarizer.js';

export interface RunFlags extends ConfigFlagValues {
  agent?: string;
  maxTurns?: string;
  maxCost?: string;
  timeout?: string;
  tools?: string;
  system?: string;
  yes?: boolean;
  json?: boolean;
  /** Continue this session (created when new); without it every run starts a new one. */
  session?: string;
  /** auto | bubblewrap | none: overrides [tools.sandbox] mode. */
  sandbox?: string;
}

/** One conversation in the memory database, ready to run in. */
export interface OpenedSession {
  id: string;
  /** The conversation so far (empty for a new session). */
  history: Message[];
  /** The runtime hooks that persist, recall and summarise for this session. */
  options: Partial<AgentRunOptions>;
}

export interface RunSetup {
  config: AgentConfig;
  provider: Provider;
  providerName: string;
  model: ModelInfo;
  tools: ToolRegistry;
  /** How shell_exec is isolated, in one line (start-up banners). */
  sandbox: string;
  /** The isolation tier, and whether shell_exec is refused for want of one (fail closed). */
  sandboxStatus: SandboxStatus;
  /** Everything startAgentRun needs except the prompt, history, signal and approver. */
  base: Omit<AgentRunOptions, 'prompt' | 'history' | 'signal' | 'approve'>;
  /** The workspace's memory; undefined when [memory] enabled = false. */
  memory?: WorkspaceMemory;
  /**
   * Opens (or creates) a session: with memory off, a session-less run with no history. With a
   * userId (the gateway's user), what the session stores is marked as that user's and recall
   * searches only that user's notes and conversations.
   */
  openSession(id?: string, scope?: { userId?: string }): Promise<OpenedSession | undefined>;
  /** Closes the memory database, unless it was handed in (SetupOptions.memory): its owner closes that. */
  close(): Promise<void>;
}

export interface SetupOptions {
  workspace: string;
  env?: NodeJS.ProcessEnv;
  /** Adapters to use instead of the real ones (tests). */
  adapters?: AdapterFactories;
  /** Config values a command imposes over flags (the demo points the selection at its mock). */
  overrides?: Override[];
  /**
   * An already-open memory database to use instead of opening one (the gateway's setups for
   * several agents share one connection). The caller keeps ownership: close() leaves it open.
   */
  memory?: WorkspaceMemory;
  /** More secret values to scrub from tool output and stored transcripts (the gateway token). */
  secrets?: readonly string[];
}

/** Budget flags become config overrides, so they are validated like every other value. */
function budgetOverrides(flags: RunFlags): Override[] {
  const overrides: Override[] = [];
  if (flags.maxTurns !== undefined) {
    overrides.push({ path: ['runtime', 'max_turns'], raw: flags.maxTurns, source: '--max-turns' });
  }
  if (flags.maxCost !== undefined) {
    overrides.push({ path: ['runtime', 'max_cost'], raw: flags.maxCost, source: '--max-cost' });
  }
  if (flags.sandbox !== undefined) {
    overrides.push({ path: ['tools', 'sandbox', 'mode'], raw: flags.sandbox, source: '--sandbox' });
  }
  return overrides;
}

function parseTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`--timeout ${raw}: expected a number of seconds greater than 0`);
  }
  return seconds * 1000;
}

/** `--system @FILE`: FILE as typed, so relative to where the user is (maybe below the workspace). */
async function systemPromptFlag(raw: string | undefined): Promise<string | undefined> {
  if (raw === undefined || !raw.startsWith('@')) return raw;
  const path = resolve(raw.slice(1));
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`--system ${raw}: cannot read ${path}`, {
      hint: 'use --system "text" or --system @path/to/file',
    });
  }
}

/** The tool names a run may use: --tools, narrowed by the agent's allowlist. */
function toolAllowlist(
  flag: string | undefined,
  agentTools: string[] | undefined,
  known: string[],
): string[] | undefined {
  let names: string[] | undefined;
  if (flag !== undefined) {
    names = flag
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    for (const name of names) {
      if (!known.includes(name)) {
        throw new UsageError(`--tools: unknown tool "${name}"${didYouMean(name, known)}`, {
          hint: `available tools: ${known.join(', ')}`,
        });
      }
    }
  }
  if (agentTools === undefined) return names;
  return names === undefined ? agentTools : names.filter((name) => agentTools.includes(name));
}

/** Every configured credential's value (and the caller's), so tool output that echoes one is scrubbed. */
function knownSecrets(config: AgentConfig, env: NodeJS.ProcessEnv, extra: readonly string[]): string[] {
  const secrets = credentialValues(Object.values(config.providers.registry), env).filter(
    (key) => key.length >= 8,
  );
  if (config.memory.auth_token) secrets.push(config.memory.auth_token);
  secrets.push(...extra.filter((secret) => secret.length > 0));
  return [...new Set(secrets)];
}

/** The configuration a run with these flags uses (files, environment, flags, overrides). */
export async function loadRunConfig(flags: RunFlags, options: SetupOptions): Promise<AgentConfig> {
  const env = options.env ?? process.env;
  const cli = await toCliOverrides(flags);
  cli.set = [...(cli.set ?? []), ...budgetOverrides(flags), ...(options.overrides ?? [])];
  return (await loadAgentConfig({ cwd: options.workspace, env, cli })).config;
}

export async function prepareRun(flags: RunFlags, options: SetupOptions): Promise<RunSetup> {
  const env = options.env ?? process.env;
  const config = await loadRunConfig(flags, options);
  const settings = resolveAgentSettings(config, flags.agent, { baseDir: options.workspace });

  const setup = createProvider(config, {
    env,
    ...(flags.agent !== undefined ? { agent: flags.agent } : {}),
    ...(flags.provider !== undefined ? { providerName: flags.provider } : {}),
    ...(flags.model !== undefined ? { model: flags.model } : {}),
    ...(flags.baseUrl !== undefined ? { baseURL: flags.baseUrl } : {}),
    ...(options.adapters ? { adapters: options.adapters } : {}),
  });

  // Flags beat the agent's own limits, which beat [runtime].
  const maxCostUsd = flags.maxCost !== undefined ? config.runtime.max_cost : settings.maxCostUsd;
  // A dollar limit the model's prices cannot enforce is refused before any session exists.
  const unpriced = unenforceableCostLimit(maxCostUsd, setup.model, setup.providerName);
  if (unpriced) throw unpriced;

  if (!config.memory.enabled && flags.session !== undefined) {
    throw new UsageError('--session needs memory, and [memory] enabled = false', {
      hint: 'remove --session, or enable memory (OXYDRA__MEMORY__ENABLED=true)',
    });
  }
  const ownsMemory = options.memory === undefined;
  const memory = config.memory.enabled
    ? (options.memory ?? (await openWorkspaceMemory(config, options.workspace, env)))
    : undefined;
  const secrets = knownSecrets(config, env, options.secrets ?? []);
  const vaultPath = config.tools.vault_path
    ? resolveVaultPath(config.tools.vault_path, options.workspace)
    : undefined;
  // One list for both: what commands cannot see is what the file tools refuse.
  const secretPaths = [
    ...homeSecretPaths(env.HOME || homedir()),
    ...oxydraSecretDirectories({ cwd: options.workspace, env }),
  ];
  const isolation = shellIsolation(config, options.workspace, [
    ...secretPaths,
    ...(vaultPath ? [vaultPath] : []),
  ]);
  if (isolation.warning) process.stderr.write(`warning: ${isolation.warning}\n`);
  const coreTools = [
    ...createCoreTools({
      shell: config.tools.shell,
      webSearch: config.tools.web_search,
      ...(vaultPath ? { vault: { path: vaultPath } } : {}),
      ...(isolation.runCommand ? { runCommand: isolation.runCommand } : {}),
      ...(isolation.refusal !== undefined ? { shellUnavailable: isolation.refusal } : {}),
      secretPaths,
    }),
    ...(memory?.tools ?? []),
  ];
  const allow = toolAllowlist(
    flags.tools,
    settings.tools,
    coreTools.map((tool) => tool.name),
  );
  const tools = new ToolRegistry(coreTools, {
    approval: flags.yes ? 'auto' : config.tools.approval,
    defaultTimeoutMs: settings.turnTimeoutMs,
    secrets,
    onApproval: approvalAuditor(options.workspace),
    hostPaths: [workspacePathMapping(options.workspace), { from: homedir(), to: '~' }],
    ...(allow !== undefined ? { allow } : {}),
  });

  const agentPrompt = (await systemPromptFlag(flags.system)) ?? settings.systemPrompt;
  const maxWallMs = parseTimeout(flags.timeout);
  const maxTurns = flags.maxTurns !== undefined ? config.runtime.max_turns : settings.maxTurns;
  const base: RunSetup['base'] = {
    provider: setup.provider,
    model: setup.model,
    tools,
    workspace: options.workspace,
    systemPrompt: defaultSystemPrompt({
      workspace: options.workspace,
      tools: tools.specs(),
      ...(agentPrompt !== undefined ? { agentPrompt } : {}),
    }),
    budgets: {
      maxTurns,
      turnTimeoutMs: settings.turnTimeoutMs,
      ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
      ...(maxWallMs !== undefined ? { maxWallMs } : {}),
    },
    contextBudget: {
      safetyBufferTokens: config.runtime.context_budget.safety_buffer_tokens,
      fallbackMaxContextTokens: config.runtime.context_budget.fallback_max_context_tokens,
    },
  };
  const summarize = modelSummarizer(config, env);
  const openSession = async (
    id?: string,
    scope: { userId?: string } = {},
  ): Promise<OpenedSession | undefined> => {
    if (!memory) return undefined;
    if (id !== undefined && !SESSION_ID.test(id)) {
      throw new UsageError(
        `--session ${JSON.stringify(id)}: use 1-128 letters, digits, ".", "_", ":" or "-"`,
      );
    }
    const userId = scope.userId !== undefined ? { userId: scope.userId } : {};
    const fields = { ...(flags.agent !== undefined ? { agent: flags.agent } : {}), ...userId };
    const session =
      id === undefined
        ? await memory.db.sessions.create(fields)
        : await memory.db.sessions.getOrCreate(await sessionNamed(memory, id, scope), fields);
    return {
      id: session.id,
      history: id === undefined ? [] : await loadHistory(memory, session.id),
      options: sessionHooks(memory, {
        sessionId: session.id,
        ...userId,
        config,
        summarize,
        secrets,
        warn: (message) => process.stderr.write(`warning: ${message}\n`),
      }),
    };
  };
  return {
    config,
    provider: setup.provider,
    providerName: setup.providerName,
    model: setup.model,
    tools,
    sandbox: isolation.summary,
    sandboxStatus: {
      tier: isolation.tier,
      shell:
        isolation.refusal !== undefined ? 'refused' : isolation.tier === 'none' ? 'unsandboxed' : 'sandboxed',
      summary: isolation.summary,
    },
    base,
    ...(memory ? { memory } : {}),
    openSession,
    close: async () => {
      if (ownsMemory) await memory?.close();
    },
  };
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The stored session a --session value names (full id, short id or prefix), else the value
 * itself: a session of that name is created. Ambiguous values are refused, listing the candidates.
 */
async function sessionNamed(
  memory: WorkspaceMemory,
  typed: string,
  scope: { userId?: string },
): Promise<string> {
  const ids = await memory.db.sessions.lookup(typed, scope);
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) return typed;
  throw new UsageError(`--session: ${sessionIdProblem(typed, ids)}`);
}
