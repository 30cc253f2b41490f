/**
 * The long-lived half of assembly, done once per kernel: the secret policy, the sandbox (probed
 * once: it starts a bubblewrap process), the core and memory tools, the memory database and the
 * summarizer; the audit chain, the spending ledger and the usage log are held until their first
 * use (HeldAudit, the getters). Each agent's assembly (agent.ts) reuses these; nothing here
 * depends on an agent.
 */
import { homedir } from 'node:os';
import { firstNotice, loadedConfigSources, oxydraSecretDirectories } from '@oxydra/config';
import { type AdapterFactories, releaseLocalModels } from '@oxydra/provider/core';
import { homeGuardedPaths, homeSecretPaths } from '@oxydra/sandbox/detect';
import { createCoreTools, fileToolsPolicy, type PathPolicy, resolveVaultPath } from '@oxydra/tools';
import type { AgentConfig, ControlStoreGroup, SandboxStatus, Tool, Usage } from '@oxydra/types';
import { OxydraError, warnOnStderr } from '@oxydra/types';
import type { PluginHost } from '../plugins/host.js';
import type { KernelAudit } from '../services/audit/audit-log.js';
import { UsageLog } from '../services/budgets/accounts.js';
import { userScope } from '../services/budgets/caps.js';
import { SpendingLedger } from '../services/budgets/spending.js';
import { heldHistory } from '../services/history/held-history.js';
import type { WorkspaceHistory } from '../services/history/workspace-history.js';
import type { ToolSources } from '../services/tool-sources.js';
import { HeldSkills } from '../skills/held-skills.js';
import { type KernelDb, openKernelDb } from '../store/kernel-db.js';
import { asyncControlStores } from '../store/libsql/async-view.js';
import type { KernelOptions } from '../types.js';
import { openWorkspaceMemory, type WorkspaceMemory } from './memory.js';
import { applyPolicy, type ShellIsolation, shellIsolation } from './sandbox.js';
import { knownSecrets } from './secrets.js';
import type { PricedSummarize } from './summarizer.js';

export interface KernelBase {
  workspace: string;
  config: AgentConfig;
  /** KernelOptions.configSources: which keys the workspace's own `.oxydra/` set. */
  configSources?: ReadonlyMap<string, string>;
  env: NodeJS.ProcessEnv;
  adapters?: AdapterFactories;
  /** Values scrubbed from tool output and stored transcripts. */
  secrets: string[];
  isolation: ShellIsolation;
  sandboxStatus: SandboxStatus;
  /** Core tools and, with memory on, the memory tools: shared by every agent (they keep no state). */
  tools: Tool[];
  /** What the file tools may not reach (the home folder's secrets, the vault): spec checks keep out too. */
  filePolicy: PathPolicy;
  /**
   * Tools from outside the core (MCP servers, plugins, a host's own): asked for their list at
   * each assembly; undefined when there are none (their holder's module is not loaded).
   */
  toolSources?: ToolSources;
  /** The loaded plugins ([plugins.load]); their tools are among toolSources. */
  plugins?: PluginHost;
  /** The skills agents may load ([skills] enabled), rediscovered when a tier folder changes. */
  skills?: HeldSkills;
  memory?: WorkspaceMemory;
  /** `.oxydra/kernel.db`: the audit chain, budgets, tokens and approvals (always local, always on). */
  db: KernelDb;
  /** The control stores the services use: `stores.control` when given (PostgreSQL's), else `db`'s. */
  control: ControlStoreGroup;
  /** The audit chain, opened at its first use (HeldAudit, below): a kernel that runs nothing opens none. */
  audit: HeldAudit;
  /**
   * Spend and reservations against the [budgets] caps, across processes and restarts: made at
   * the first read of this field (the first turn's account, an embedding's charge, `costs`).
   */
  readonly spending: SpendingLedger;
  /**
   * One row per priced call (kernel.costs), made at the first read as `spending` is; undefined
   * for a replay (its cassette costs nothing).
   */
  readonly usageLog?: UsageLog;
  /** Closes what of the above was opened (closeBase). */
  closeHeld: () => Promise<void>;
  /**
   * Checkpoints of the workspace around each run ([checkpoints] enabled), for undo: its module
   * loads at the first run that changes a file, or the first command that reads the history.
   */
  history?: () => Promise<WorkspaceHistory>;
  /** Closes the browser the browser tools started ([tools.browser] enabled), if any. */
  closeBrowser?: () => Promise<void>;
  /** The summary model's call; each agent's turn charges its cost to the agent's account. */
  summarize: PricedSummarize;
  warn: (message: string) => void;
}

/**
 * Memory's embedding calls count against the spending caps of the user whose text they embed
 * (memory serves the user, whichever agent asked). Recorded after the call: an embedding is
 * never refused, it is part of a turn that was allowed.
 */
function embeddingCharger(
  ledgers: { spending: () => SpendingLedger; usageLog: () => UsageLog | undefined },
  warn: (message: string) => void,
  embedder: { provider: string; model: () => string | undefined },
) {
  return (usage: Usage, userId: string | undefined) => {
    try {
      const model = embedder.model();
      const spending = ledgers.spending();
      const usageLog = ledgers.usageLog();
      spending.settle(
        spending.charged([userScope(userId)]),
        { usd: usage.costUsd, tokens: usage.inputTokens ?? 0 },
        async (stores) =>
          usageLog?.recordIn(
            stores,
            'embedding',
            {
              ...(userId !== undefined ? { userId } : {}),
              provider: embedder.provider,
              ...(model !== undefined ? { model } : {}),
            },
            usage,
          ),
      );
    } catch (error) {
      warn(`could not record an embedding call's cost: ${(error as Error).message}`);
    }
  };
}

/** The summary model's call; its module loads at the first summary (most runs never fold their context). */
function heldSummarizer(config: AgentConfig, env: NodeJS.ProcessEnv): PricedSummarize {
  let summarize: Promise<PricedSummarize> | undefined;
  return async (...args) => {
    summarize ??= import('./summarizer.js').then(({ modelSummarizer }) => modelSummarizer(config, env));
    return (await summarize)(...args);
  };
}

export async function openBase(options: KernelOptions): Promise<KernelBase> {
  const { workspace } = options;
  const config = applyPolicy(options.config, options.policy);
  const env = options.env ?? process.env;
  const warn = options.warn ?? warnOnStderr;
  const vaultPath = config.tools.vault_path
    ? resolveVaultPath(config.tools.vault_path, workspace)
    : undefined;
  // One list for both: what commands cannot see is what the file tools refuse.
  const home = env.HOME || homedir();
  const secretPaths = [
    ...homeSecretPaths(home),
    ...oxydraSecretDirectories({ cwd: workspace, env }),
    // A workspace holding the home folder: what runs at the next login stays out of reach.
    ...homeGuardedPaths(workspace, home),
  ];
  const secrets = knownSecrets(config, env, options.secrets ?? []);
  // Plugins first: a missing one, a cycle or a bad config is a configuration error before
  // anything is opened. The plugin host's modules load only when a plugin is configured.
  const pluginModules = Object.values(config.plugins.load).some((entry) => entry.enabled)
    ? await Promise.all([import('../plugins/load.js'), import('../plugins/host.js')])
    : undefined;
  const plugins = pluginModules ? await pluginModules[0].loadPlugins(config, workspace) : [];
  const db = await openKernelDb(workspace);
  // The control stores the services write through: a host's (PostgreSQL's), else kernel.db's.
  const control = options.stores?.control ?? asyncControlStores(db);
  // Opened (its module loaded, its head read, a legacy log imported) at its first use.
  const audit = new HeldAudit(async () =>
    (await import('../services/audit/audit-log.js')).KernelAudit.open(workspace, db, {
      maxEntries: config.audit.max_entries,
      secrets,
      stores: control,
    }),
  );
  const isolation = shellIsolation(
    config,
    workspace,
    [...secretPaths, ...(vaultPath ? [vaultPath] : [])],
    audit.egress,
    // A standing condition of the machine, said as the others are: once per workspace.
    (message) => {
      void firstNotice(workspace, message, env).then((first) => {
        if (first) warn(message);
      });
    },
  );
  if (isolation.warning && (!isolation.standing || (await firstNotice(workspace, isolation.warning, env))))
    warn(isolation.warning);
  // The ledger and the usage log are made at their first read (the getters below).
  let spending: SpendingLedger | undefined;
  let usageLog: UsageLog | undefined;
  const ledgers = {
    spending: () => {
      spending ??= new SpendingLedger(db, { windowSecs: config.budgets.window_secs, stores: control });
      return spending;
    },
    usageLog: () => {
      if (options.replay) return undefined;
      usageLog ??= new UsageLog(db, {
        retentionDays: config.budgets.usage_log_days,
        maxRows: config.budgets.usage_log_max_rows,
        warn,
        stores: control,
      });
      return usageLog;
    },
  };
  let memory: WorkspaceMemory | undefined;
  const clock = options.clock;
  try {
    const embedder = {
      provider: config.memory.embedding_provider ?? config.memory.embedding_backend,
      model: () => memory?.embedder.modelId,
    };
    memory = config.memory.enabled
      ? await openWorkspaceMemory(
          config,
          workspace,
          env,
          embeddingCharger(ledgers, warn, embedder),
          // Idle sessions' histories leave memory by the kernel's clock (tests drive it).
          clock ? { now: () => clock.now() } : {},
          options.stores ?? {},
        )
      : undefined;
  } catch (error) {
    db.close();
    throw error;
  }
  const fileRules = { ...(vaultPath ? { vault: { path: vaultPath } } : {}), secretPaths };
  const filePolicy = fileToolsPolicy(fileRules);
  const coreTools = [
    ...createCoreTools({
      shell: config.tools.shell,
      webSearch: config.tools.web_search,
      ...fileRules,
      ...(isolation.runCommand ? { runCommand: isolation.runCommand } : {}),
      ...(isolation.refusal !== undefined ? { shellUnavailable: isolation.refusal } : {}),
    }),
    ...(memory?.tools ?? []),
  ];
  // The browser tools' definitions load only when enabled; playwright-core at their first call.
  const browser = config.tools.browser.enabled
    ? (await import('@oxydra/tools/browser')).createBrowserTools({
        browser: config.tools.browser,
        egressAllowlist: config.tools.web_search.egress_allowlist,
        // A page's downloads keep out of what the file tools keep out of.
        filePolicy,
      })
    : undefined;
  if (browser) coreTools.push(...browser.tools);
  // A replay answers the tools that reach beyond the workspace from its recording.
  const replaced = new Set(options.replay?.tools.map((tool) => tool.name));
  const tools = [...coreTools.filter((tool) => !replaced.has(tool.name)), ...(options.replay?.tools ?? [])];
  // The MCP client (the SDK, ajv) loads only when a server is configured: a run without MCP
  // servers does not compile it at start-up (measured ~100 ms of module parsing).
  const mcpSources = Object.values(config.mcp.servers).some((server) => server.enabled)
    ? (await import('@oxydra/mcp')).mcpToolSources(config.mcp, {
        workspace,
        sandbox: config.tools.sandbox,
        hidden: [...secretPaths, ...(vaultPath ? [vaultPath] : [])],
        env,
        warn,
        onEgress: audit.egress,
      })
    : [];
  const pluginHost =
    pluginModules && plugins.length > 0
      ? new pluginModules[1].PluginHost(plugins, {
          workspace,
          audit,
          warn,
          memory,
          contextTimeoutMs: config.plugins.context_timeout_ms,
          evaluatorTimeoutMs: config.plugins.evaluator_timeout_ms,
        })
      : undefined;
  const history = heldHistory(workspace, config, audit);
  const sources = [...(pluginHost?.sources() ?? []), ...mcpSources, ...(options.toolSources ?? [])];
  const toolSources =
    sources.length > 0
      ? new (await import('../services/tool-sources.js')).ToolSources(sources, warn)
      : undefined;
  // A program passing only the config loadAgentConfig made still has its keys' sources.
  const configSources = options.configSources ?? loadedConfigSources(config);
  return {
    workspace,
    config,
    ...(configSources ? { configSources } : {}),
    env,
    ...(options.adapters ? { adapters: options.adapters } : {}),
    secrets,
    isolation,
    sandboxStatus: {
      tier: isolation.tier,
      shell:
        isolation.refusal !== undefined ? 'refused' : isolation.tier === 'none' ? 'unsandboxed' : 'sandboxed',
      summary: isolation.summary,
    },
    tools,
    filePolicy,
    ...(pluginHost ? { plugins: pluginHost } : {}),
    ...(toolSources ? { toolSources } : {}),
    ...(memory ? { memory } : {}),
    db,
    control,
    audit,
    get spending() {
      return ledgers.spending();
    },
    get usageLog() {
      return ledgers.usageLog();
    },
    closeHeld: async () => {
      audit.stopTimers();
      await usageLog?.close();
      await spending
        ?.close()
        .catch((error: unknown) => warn(`the last spend could not be recorded: ${(error as Error).message}`));
    },
    ...(history ? { history } : {}),
    summarize: heldSummarizer(config, env),
    ...(config.skills.enabled
      ? {
          skills: await HeldSkills.open({
            workspace,
            env,
            dirs: config.skills.dirs,
            disabled: config.skills.disabled,
            warn,
          }),
        }
      : {}),
    ...(browser ? { closeBrowser: browser.close } : {}),
    warn,
  };
}

type Opened = KernelAudit;

/**
 * The audit chain, held (issue 32 item 1): its module (the chain, BLAKE3's hasher), its head's
 * read and a legacy log's import wait for the first use: the first spawn's entries, a turn's
 * anchor, `service('audit')`, a sandboxed command's egress. What is recorded before it is open
 * waits in order and is recorded, in that order, when it opens: the chain is as it was when the
 * kernel opened it at once. Failing to open, it fails each use with that error (a turn that
 * awaits it fails with it, as openKernel once did).
 */
class HeldAudit {
  #audit: Opened | undefined;
  #opening: Promise<Opened> | undefined;
  #failed = false;
  /** What was asked before it opened, in order. */
  #waiting: ((audit: Opened | undefined) => void)[] = [];

  constructor(private readonly openAudit: () => Promise<Opened>) {}

  /** The chain when open (undefined before its first use, or when it could not open). */
  get opened(): Opened | undefined {
    return this.#audit;
  }

  /** Opens it at the first call; the same chain (or the same failure) after. */
  open(): Promise<Opened> {
    this.#opening ??= this.openAudit().then(
      (audit) => {
        this.#audit = audit;
        this.#flush(audit);
        return audit;
      },
      (error: unknown) => {
        this.#failed = true;
        this.#flush(undefined);
        throw error instanceof OxydraError
          ? error
          : new Error(`the audit chain could not be opened: ${(error as Error).message}`, {
              cause: error,
            });
      },
    );
    return this.#opening;
  }

  #flush(audit: Opened | undefined): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const call of waiting) call(audit);
  }

  /** `call` now when open, else in turn when it opens (not at all when it cannot). */
  #use(call: (audit: Opened) => void): void {
    if (this.#audit) call(this.#audit);
    else if (!this.#failed) {
      this.#waiting.push((audit) => audit && call(audit));
      this.open().catch(() => {});
    }
  }

  /** As #use, for a call whose answer the caller awaits (it fails as the opening did). */
  #ask<T>(call: (audit: Opened) => Promise<T>): Promise<T> {
    if (this.#audit) return call(this.#audit);
    const opening = this.open();
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push((audit) => {
        if (audit) call(audit).then(resolve, reject);
      });
      opening.catch(reject);
    });
  }

  record(actor: string, type: string, data: Record<string, unknown>, resource = ''): Promise<unknown> {
    return this.#ask((audit) => audit.record(actor, type, data, resource));
  }

  recordLater(actor: string, type: string, data: Record<string, unknown>, resource = ''): void {
    this.#use((audit) => audit.recordLater(actor, type, data, resource));
  }

  readonly approval: Opened['approval'] = (record) => this.#ask((audit) => audit.approval(record));

  /** The forwarding callback the sandbox and the MCP servers get: the first egress opens the chain. */
  readonly egress: Opened['egress'] = (decision) => this.#use((audit) => audit.egress(decision));

  observe(...args: Parameters<Opened['observe']>): void {
    this.#use((audit) => audit.observe(...args));
  }

  provenance(...args: Parameters<Opened['provenance']>): void {
    this.#use((audit) => audit.provenance(...args));
  }

  sessionCreated(sessionId: string): void {
    this.#use((audit) => audit.sessionCreated(sessionId));
  }

  keepHeadFile(): void {
    this.#use((audit) => audit.keepHeadFile());
  }

  /** KernelAudit.anchor; nothing (undefined) when the chain could not open: the turn failed with that. */
  anchor(...args: Parameters<Opened['anchor']>): ReturnType<Opened['anchor']> {
    if (this.#failed) return Promise.resolve(undefined);
    return this.#ask((audit) => audit.anchor(...args));
  }

  /** The chain's head, or undefined when it is not open. */
  async head(): Promise<{ seq: number; hash: string } | undefined> {
    return this.#audit?.chain.head();
  }

  /**
   * For closing: the chain once an opening begun has ended (undefined when none was begun, or
   * it failed): a kernel that never used it has nothing to anchor.
   */
  async settled(): Promise<Opened | undefined> {
    return this.#opening?.catch(() => undefined);
  }

  stopTimers(): void {
    this.#audit?.stopTimers();
  }
}

/** Closes what openBase opened (the kernel has killed its agents and anchored the audit chain). */
export async function closeBase(base: KernelBase): Promise<void> {
  await base.toolSources?.close();
  await base.closeBrowser?.();
  // Memory before the rest: its close waits for the indexing still under way, whose embedding
  // calls may run on a local model (released below) and are charged to the spending ledger, in
  // the kernel database. Closed after it, the charge's commit came after the database had
  // closed: lost, and libsql aborted the process reading that database's transaction state.
  try {
    await base.memory?.close();
  } finally {
    // Local models (llama_cpp) hold memory, threads and GPU buffers for the process's life; a
    // closed kernel runs no more agents, so they go (nothing happens, nothing loads, without one).
    await releaseLocalModels();
    await base.closeHeld();
    base.db.close();
  }
}
