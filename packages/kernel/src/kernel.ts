/**
 * The kernel: the one place an agent is assembled from configuration, and the system calls every
 * host uses (Oxios: "the Kernel exposes only system calls; applications use only system calls").
 * openKernel does the long-lived work once (sandbox probe, memory database, tools, secrets);
 * agents.spawn is synchronous and cheap (one assembly per distinct agent request, cached).
 */
import type { SessionStore } from '@oxydra/memory';
import type { Telemetry } from '@oxydra/otel';
import type { PluginEvent } from '@oxydra/plugin';
import type { ModelInfo } from '@oxydra/provider';
import { systemClock } from '@oxydra/runtime';
import type { AgentConfig, SandboxStatus, Tool, ToolSourceHealth } from '@oxydra/types';
import { a2aDelegateTool } from './a2a/delegate-tool.js';
import { type AgentAssembly, assembleAgent, assemblyKey } from './assemble/agent.js';
import { type KernelBase, openBase } from './assemble/base.js';
import { DELEGATE_TOOL, delegationTools } from './assemble/delegate.js';
import { checkSessionName, sessionNamed } from './assemble/session.js';
import { agentPersona, forgetPersonas } from './personas/agent-persona.js';
import { type PersonaStore, personaStore } from './personas/store.js';
import type { PluginInfo } from './plugins/host.js';
import { type KernelScheduler, kernelScheduler, scheduleCalls } from './scheduler/index.js';
import { scheduleTools } from './scheduler/schedule-tools.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { ApprovalCalls } from './services/admin-approvals.js';
import { type AdminPolicy, adminPolicy } from './services/admin-policy.js';
import { adminServices } from './services/admin-services.js';
import { Admission } from './services/admission.js';
import { AgentTable } from './services/agent-table.js';
import { Approvals } from './services/approvals.js';
import { type AuditCalls, auditCalls } from './services/audit/audit-calls.js';
import type { BudgetSnapshot } from './services/budget-accounts.js';
import type { BudgetCalls } from './services/budgets/budget-calls.js';
import { EventBus } from './services/event-bus.js';
import { type Exec, execCall } from './services/exec.js';
import type { CheckpointCalls } from './services/history/workspace-history.js';
import { type MemoryCalls, memoryCalls } from './services/memory-calls.js';
import { type ResourceSnapshot, resourceSnapshot } from './services/resources.js';
import { type SessionAccess, sessionAccess } from './services/session-access.js';
import { type StateCalls, stateCalls } from './services/state.js';
import { type KernelTelemetry, startKernelTelemetry } from './services/telemetry.js';
import type { TokenCalls } from './services/tokens.js';
import { type CostCalls, costCalls } from './services/usage/cost-report.js';
import { skillTools, toolNamesOf } from './skills/skill-load-tool.js';
import type {
  AgentHandle,
  AgentInfo,
  AgentResult,
  AgentStatus,
  EventFilter,
  KernelOptions,
  SpawnSpec,
  Subscription,
} from './types.js';

/** What a host shows about an agent before running it (banners, /v1/models). */
export interface AgentDescription {
  name: string;
  providerName: string;
  model: ModelInfo;
  tools: string[];
}

export interface Kernel {
  readonly workspace: string;
  /** The configuration the kernel was opened with. */
  readonly config: AgentConfig;
  readonly host: KernelOptions['host'];
  agents: {
    spawn(spec: SpawnSpec): AgentHandle;
    wait(id: string): Promise<AgentResult>;
    kill(id: string, reason?: string): Promise<void>;
    list(filter?: { parentId?: string; status?: AgentStatus }): AgentInfo[];
    get(id: string): AgentInfo | undefined;
  };
  approvals: { respond(id: string, allow: boolean): boolean; pending(): { id: string; agentId: string }[] };
  /** The stored conversations; undefined when memory is off. */
  sessions: SessionStore | undefined;
  /**
   * The stored session a typed value names (full id, short id or unique prefix), else the value
   * itself (a new session of that name). Throws a UsageError for an ambiguous or invalid value,
   * or when memory is off, so a host can refuse it before spawning.
   */
  resolveSession(typed: string, scope?: { userId?: string }): Promise<string>;
  /** The ownership rule: a user's calls see only that user's sessions; another's is "not found". */
  sessionAccess: SessionAccess;
  /** The per-user limit on runs at once ([gateway] max_concurrent_turns_per_user), for every door and the scheduler. */
  admission: Admission;
  memory: MemoryCalls;
  /** Durable named JSON values in the workspace's database (memory must be on). */
  state: StateCalls;
  /** The tamper-evident record of what every agent did (`.oxydra/kernel.db`). */
  audit: AuditCalls;
  /** Spending caps per user and agent per day, month and window, across restarts. */
  budgets: BudgetCalls;
  /** What was spent, from the usage log (one row per priced call): by UTC day, agent, model, user or session. */
  costs: CostCalls;
  /** Gateway tokens bound to users and roles. */
  tokens: TokenCalls;
  /** Admin operations asked for over the gateway that wait for a second person's approval. */
  adminApprovals: ApprovalCalls;
  /** The two-person rule for admin changes asked for remotely, and the approvals queue's live feed. */
  adminPolicy: AdminPolicy;
  /** The workspace's checkpoints (commit, tag, restore, undo); undefined when [checkpoints] is off. */
  checkpoints: CheckpointCalls | undefined;
  /** Stored schedules (schedule/unschedule) and the service that fires them (start). */
  scheduler: KernelScheduler;
  exec: Exec;
  /** Character files shaping the agents' system prompts: list, show, create, update, delete, setActive (audited). */
  personas: PersonaStore;
  subscribe(filter?: EventFilter): Subscription;
  resources(): ResourceSnapshot;
  /** How each tool source (MCP server, plugin) is doing, for doctor and /readyz. */
  toolSourceHealth(): ToolSourceHealth[];
  /** OpenTelemetry ([otel] enabled): the metrics as Prometheus text (/metrics); undefined when off. */
  readonly telemetry?: KernelTelemetry;
  /**
   * Each tool source's tools as offered now (`oxydra mcp tools|call`). A host that runs one
   * directly decides for itself, like exec: no agent, no approval question.
   */
  toolSourceTools(): { source: string; tools: Tool[] }[];
  /** The loaded plugins, in initialisation order, with their parts and health. */
  plugins(): PluginInfo[];
  /** What is left of a live agent's turn and dollar limits (its sub-agents' spending included). */
  checkBudget(agentId: string): BudgetSnapshot | undefined;
  /** The assembled agent a spawn with these fields would run (throws what spawn would throw). */
  describe(spec?: Pick<SpawnSpec, 'agent' | 'selection' | 'tools' | 'systemPrompt'>): AgentDescription;
  /** How the agents' commands are isolated. */
  readonly sandbox: SandboxStatus;
  /** Kills every agent and closes the memory database. */
  close(): Promise<void>;
}

export async function openKernel(options: KernelOptions): Promise<Kernel> {
  const base = await openBase(options);
  const kernel = new KernelFacade(base, options);
  await kernel.startToolSources();
  try {
    await kernel.startTelemetry();
  } catch (error) {
    await kernel.close();
    throw error;
  }
  return kernel;
}

class KernelFacade implements Kernel {
  readonly workspace: string;
  readonly config: AgentConfig;
  readonly host: KernelOptions['host'];
  readonly #base: KernelBase;
  readonly #assemblies = new Map<string, AgentAssembly>();
  readonly #table: AgentTable;
  readonly #bus: EventBus;
  readonly #approvals: Approvals;
  readonly agents: Kernel['agents'];
  readonly memory: MemoryCalls;
  readonly sessionAccess: SessionAccess;
  readonly admission: Admission;
  readonly state: StateCalls;
  readonly audit: AuditCalls;
  readonly budgets: BudgetCalls;
  readonly costs: CostCalls;
  readonly tokens: TokenCalls;
  readonly adminApprovals: ApprovalCalls;
  readonly adminPolicy: AdminPolicy;
  readonly checkpoints: CheckpointCalls | undefined;
  readonly scheduler: KernelScheduler;
  readonly exec: Exec;
  readonly personas: PersonaStore;
  /** The persona file version each cached assembly was made with. */
  readonly #personaStamps = new WeakMap<AgentAssembly, string>();
  #telemetry: Telemetry | undefined;
  #closed = false;

  constructor(base: KernelBase, options: KernelOptions) {
    this.workspace = options.workspace;
    this.config = base.config;
    this.host = options.host;
    this.#base = base;
    this.#bus = new EventBus((agentId) => this.#table.lineage(agentId));
    this.#approvals = new Approvals({
      timeoutMs: options.approvalTimeoutMs ?? base.config.tools.approval_timeout_secs * 1000,
      publish: (agentId, event) => {
        const record = this.#table.record(agentId);
        if (record) this.#table.publish(record, event);
      },
    });
    this.#table = new AgentTable({
      base,
      bus: this.#bus,
      approvals: this.#approvals,
      host: options.host,
      ...(options.clock ? { clock: options.clock } : {}),
      assemble: (spec) => this.#assembly(spec),
    });
    const table = this.#table;
    this.agents = {
      spawn: (spec) => {
        if (this.#closed) throw new Error('the kernel is closed');
        return table.spawn(spec);
      },
      wait: (id) => table.wait(id),
      kill: (id, reason) => table.kill(id, reason),
      list: (filter) => table.list(filter),
      get: (id) => table.get(id),
    };
    this.memory = memoryCalls(base.memory);
    this.sessionAccess = sessionAccess(() => base.memory?.db.sessions);
    this.admission = new Admission(base.config.gateway.max_concurrent_turns_per_user);
    this.state = stateCalls(base.memory, options.stores?.state);
    this.audit = auditCalls(base.audit, () => base.memory?.db.sessions);
    const admin = adminServices(base.config, base.db, base.spending, base.audit);
    this.budgets = admin.budgets;
    this.costs = costCalls(base.db, () => base.usageLog?.flush());
    this.tokens = admin.tokens;
    this.adminApprovals = admin.adminApprovals;
    this.adminPolicy = adminPolicy(admin.adminApprovals, admin.budgets, admin.tokens);
    this.checkpoints = base.history;
    this.exec = execCall(base);
    this.personas = personaStore(options.workspace, base.env, {
      audit: (actor, type, data, resource) => base.audit.record(actor, type, data, resource),
      actor: options.host,
      onChange: () => {
        this.#assemblies.clear();
        forgetPersonas(this.personas);
      },
    });
    const clock = options.clock ?? systemClock;
    const schedules = scheduleCalls(base.db, base.audit, { config: base.config, now: () => clock.now() });
    const engine = new Scheduler({
      db: base.db,
      audit: base.audit,
      config: base.config,
      calls: schedules,
      clock,
      spawn: (spec) => this.agents.spawn(spec),
      checkBudget: (agentId) => this.checkBudget(agentId),
      warn: base.warn,
      admission: this.admission,
    });
    this.scheduler = kernelScheduler(schedules, engine);
  }

  /** @internal started by openKernel; a changed tool list drops the cached assemblies. */
  async startToolSources(): Promise<void> {
    await this.#base.toolSources.start(() => this.#assemblies.clear());
    const plugins = this.#base.plugins;
    if (plugins?.handlesEvents) this.#bus.tap((event) => plugins.onEvent(event as PluginEvent));
  }

  /** @internal started by openKernel when [otel] is enabled (only then is @oxydra/otel imported). */
  async startTelemetry(): Promise<void> {
    this.#telemetry = await startKernelTelemetry(this.#base, this.host, (agentId) => {
      const assembly = this.#table.record(agentId)?.assembly;
      if (!assembly) return undefined;
      return {
        provider: assembly.providerName,
        providerType: assembly.provider.type,
        model: assembly.model.id,
      };
    });
    const telemetry = this.#telemetry;
    if (telemetry) this.#bus.tap((event) => telemetry.onEvent(event));
  }

  get telemetry(): KernelTelemetry | undefined {
    return this.#telemetry;
  }

  toolSourceHealth(): ToolSourceHealth[] {
    return this.#base.toolSources.health();
  }

  toolSourceTools(): { source: string; tools: Tool[] }[] {
    return this.#base.toolSources.sources.map((source) => ({ source: source.name, tools: source.tools() }));
  }

  plugins(): PluginInfo[] {
    return this.#base.plugins?.describe() ?? [];
  }

  get approvals(): Kernel['approvals'] {
    return this.#approvals;
  }

  get sessions(): SessionStore | undefined {
    return this.#base.memory?.db.sessions;
  }

  get sandbox(): SandboxStatus {
    return this.#base.sandboxStatus;
  }

  async resolveSession(typed: string, scope: { userId?: string } = {}): Promise<string> {
    checkSessionName(this.#base, typed);
    return sessionNamed(this.#base.memory!, typed, scope);
  }

  subscribe(filter?: EventFilter): Subscription {
    return this.#bus.subscribe(filter);
  }

  resources(): ResourceSnapshot {
    return resourceSnapshot(this.#table.list());
  }

  checkBudget(agentId: string): BudgetSnapshot | undefined {
    return this.#table.record(agentId)?.account?.snapshot();
  }

  describe(spec: Pick<SpawnSpec, 'agent' | 'selection' | 'tools' | 'systemPrompt'> = {}): AgentDescription {
    const assembly = this.#assembly(spec);
    return {
      name: assembly.name,
      providerName: assembly.providerName,
      model: assembly.model,
      tools: assembly.tools.specs().map((tool) => tool.name),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.scheduler.stop();
    const roots = this.#table.list().filter((agent) => agent.parentId === undefined);
    await Promise.all(roots.map((agent) => this.#table.kill(agent.id, 'the kernel is closing')));
    this.#bus.closeAll();
    try {
      await this.#base.audit.anchor(undefined, undefined, { flush: true });
    } finally {
      // Spans still open end, and what is pending is exported (a bounded wait).
      await this.#telemetry?.shutdown();
      this.#base.audit.stopTimers();
      await this.#base.toolSources.close();
      this.#base.usageLog?.close();
      this.#base.db.close();
      await this.#base.memory?.close();
    }
  }

  /** a2a_delegate, when remote A2A agents are configured ([a2a.remotes]). */
  #a2aTools(): Tool[] {
    const { config, env, audit } = this.#base;
    if (Object.keys(config.a2a.remotes).length === 0) return [];
    return [
      a2aDelegateTool({
        config,
        env,
        accountOf: (agentId) => (agentId !== undefined ? this.#table.record(agentId)?.account : undefined),
        audit: (actor, type, data, resource) => audit.record(actor, type, data, resource),
      }),
    ];
  }

  /** schedule_create|list|update|delete, when [scheduler] enabled. */
  #scheduleTools(): Tool[] {
    if (!this.#base.config.scheduler.enabled) return [];
    return scheduleTools({
      calls: this.scheduler,
      agentNameOf: (agentId) => {
        const name = agentId !== undefined ? this.#table.record(agentId)?.info.name : undefined;
        return name === undefined || name === 'default' ? undefined : name;
      },
    });
  }

  #assembly(
    spec: Pick<SpawnSpec, 'agent' | 'selection' | 'tools' | 'systemPrompt' | 'approval'>,
  ): AgentAssembly {
    // A skill or program installed, removed or switched since: agents get the new list.
    if (this.#base.skills?.refreshIfDue()) this.#assemblies.clear();
    const key = assemblyKey(spec);
    const persona = agentPersona(this.#base.config, spec.agent, this.personas);
    const personaStamp = persona ? `${persona.path}\0${persona.stamp}` : '';
    let assembly = this.#assemblies.get(key);
    if (!assembly || this.#personaStamps.get(assembly) !== personaStamp) {
      assembly = assembleAgent(
        this.#base,
        spec,
        () => [
          ...delegationTools(this.#base.config, spec.agent, {
            spawn: (child) => this.agents.spawn(child),
            record: (id) => this.#table.record(id),
          }),
          ...this.#a2aTools(),
          ...this.#scheduleTools(),
          ...skillTools(this.#base.skills, (id) =>
            toolNamesOf(id ? this.#table.record(id)?.assembly : undefined),
          ),
        ],
        (tool, context) => this.#table.beforeChange(tool, context.agentId),
        persona?.prompt,
      );
      this.#assemblies.set(key, assembly);
      this.#personaStamps.set(assembly, personaStamp);
    }
    return assembly;
  }
}

export { DELEGATE_TOOL };
