/**
 * The kernel: the one place an agent is assembled from configuration, and the system calls every
 * host uses (Oxios: "the Kernel exposes only system calls; applications use only system calls").
 * openKernel does the long-lived work once (sandbox probe, memory database, tools, secrets) and
 * holds the other services unopened (services/registry.ts); agents.spawn is synchronous and cheap
 * (one assembly per distinct agent request, cached). Surface: kernel-api.ts; entry: @oxydra/kernel/open.
 */
import type { Telemetry } from '@oxydra/otel';
import type { PluginEvent } from '@oxydra/plugin';
import type { PathPolicy } from '@oxydra/tools';
import type { AgentConfig, SandboxStatus, Tool, ToolSourceHealth } from '@oxydra/types';
import { type AgentDescription, Assemblies, checkSessionName, sessionNamed } from './assemble/agent.js';
import { closeBase, type KernelBase, openBase } from './assemble/base.js';
import { kernelToolsOn } from './assemble/permissions.js';
import type { Kernel, OwnedKernel } from './kernel-api.js';
import { KernelPersonas } from './personas/agent-persona.js';
import type { PluginInfo } from './plugins/host.js';
import { AgentTable } from './services/agent-table.js';
import { EventBus } from './services/event-bus.js';
import type { ServiceHost } from './services/service-host.js';
import type { KernelTelemetry } from './services/telemetry.js';
import { skillTools, toolNamesOf } from './skills/held-skills.js';
import type { EventFilter, KernelOptions, SpawnSpec, Subscription } from './types.js';

export { isLifecycleEvent } from './services/event-bus.js';

/** `{ ownerGrant: true }`: with the owner's grant over the whole session store (OwnedKernel), the one
 * way to get one, so only the code that opens a kernel holds it; a kernel cannot mint one. */
export function openKernel(options: KernelOptions, open: { ownerGrant: true }): Promise<OwnedKernel>;
export function openKernel(options: KernelOptions): Promise<Kernel>;
export async function openKernel(
  options: KernelOptions,
  open: { ownerGrant?: true } = {},
): Promise<Kernel | OwnedKernel> {
  const base = await openBase(options);
  const kernel = new KernelFacade(base, options);
  try {
    await kernel.start();
    if (!open.ownerGrant) return kernel;
    const { mintOwnerGrant } = await import('./services/session-access.js');
    return { kernel, owner: mintOwnerGrant(await kernel.service('sessionAccess')) };
  } catch (error) {
    await kernel.close();
    throw error;
  }
}

class KernelFacade implements Kernel {
  readonly workspace: string;
  readonly config: AgentConfig;
  readonly host: KernelOptions['host'];
  readonly filePolicy: PathPolicy;
  readonly #base: KernelBase;
  readonly #assemblies: Assemblies;
  readonly #table: AgentTable;
  readonly #bus: EventBus;
  readonly sandbox: SandboxStatus;
  readonly #options: KernelOptions;
  #services: Promise<ServiceHost> | undefined;
  readonly agents: Kernel['agents'];
  readonly #personas: KernelPersonas;
  #heldTools: import('./services/held-tools.js').HeldTools = () => [];
  #telemetry: Telemetry | undefined;
  #closed = false;

  /** The agent table's: it asks the questions (services/agent-table.ts). */
  readonly approvals: Kernel['approvals'];

  constructor(base: KernelBase, options: KernelOptions) {
    this.workspace = options.workspace;
    this.config = base.config;
    this.host = options.host;
    this.filePolicy = base.filePolicy;
    this.#base = base;
    this.#options = options;
    this.sandbox = base.sandboxStatus;
    this.#bus = new EventBus((agentId) => this.#table.lineage(agentId));
    this.#table = new AgentTable({
      base,
      bus: this.#bus,
      approvalTimeoutMs: options.approvalTimeoutMs ?? base.config.tools.approval_timeout_secs * 1000,
      host: options.host,
      ...(options.clock ? { clock: options.clock } : {}),
      assemble: (spec) => this.#assemblies.get(spec),
    });
    this.agents = this.#table.calls(() => this.#closed);
    this.approvals = this.#table.approvals;
    this.#personas = new KernelPersonas(options.workspace, base.env, {
      audit: (actor, type, data, resource) => base.audit.recordLater(actor, type, data, resource),
      actor: options.host,
      onChange: () => this.#assemblies.clear(),
    });
    this.#assemblies = new Assemblies({
      base,
      personas: this.#personas,
      kernelTools: (agent) => [
        ...this.#heldTools(agent),
        ...skillTools(base.skills, (id) => toolNamesOf(id ? this.#table.record(id)?.assembly : undefined)),
      ],
      beforeChange: (tool, agentId) => this.#table.beforeChange(tool, agentId),
    });
  }

  #serviceHost(): Promise<ServiceHost> {
    if (!this.#services && this.#closed) return Promise.reject(new Error('the kernel is closed'));
    this.#services ??= import('./services/kernel-service-host.js').then(({ kernelServiceHost }) =>
      kernelServiceHost(this.#base, this.#options, this),
    );
    return this.#services;
  }

  readonly personas: Kernel['personas'] = () => this.#personas.store();
  readonly service: Kernel['service'] = async (name) => (await this.#serviceHost()).service(name);
  readonly services: Kernel['services'] = async (...names) => (await this.#serviceHost()).services(...names);

  /** @internal openKernel's second half: what needs awaiting before the first spawn. */
  async start(): Promise<void> {
    await this.#personas.preload(this.config);
    // The held tools' module loads only when one of them is configured (a default run has none).
    if (Object.values(kernelToolsOn(this.config)).some(Boolean))
      this.#heldTools = await (await import('./services/held-tools.js')).openHeldTools({
        base: this.#base,
        service: this.service,
        record: (agentId) => this.#table.record(agentId),
        spawn: (spec) => this.agents.spawn(spec),
      });
    // A changed tool list drops the cached assemblies.
    await this.#base.toolSources?.start(() => this.#assemblies.clear());
    const plugins = this.#base.plugins;
    if (plugins?.handlesEvents) this.#bus.tap((event) => plugins.onEvent(event as PluginEvent));
    // Only with [otel] enabled are telemetry.ts and @oxydra/otel imported.
    if (!this.config.otel.enabled) return;
    const { startKernelTelemetry } = await import('./services/telemetry.js');
    const telemetry = await startKernelTelemetry(
      this.#base,
      this.host,
      (id) => this.#table.record(id)?.assembly,
    );
    this.#telemetry = telemetry;
    this.#bus.tap((event) => telemetry.onEvent(event));
  }

  get telemetry(): KernelTelemetry | undefined {
    return this.#telemetry;
  }

  toolSourceHealth(): ToolSourceHealth[] {
    return this.#base.toolSources?.health() ?? [];
  }

  toolSourceTools(): { source: string; tools: Tool[] }[] {
    const sources = this.#base.toolSources?.sources ?? [];
    return sources.map((source) => ({ source: source.name, tools: source.tools() }));
  }

  plugins(): PluginInfo[] {
    return this.#base.plugins?.describe() ?? [];
  }

  async resolveSession(typed: string, scope: { userId?: string } = {}): Promise<string> {
    checkSessionName(this.#base, typed);
    return sessionNamed(this.#base.memory!, typed, scope);
  }

  subscribe(filter?: EventFilter): Subscription {
    return this.#bus.subscribe(filter);
  }

  async resources(): Promise<import('./services/resources.js').ResourceSnapshot> {
    return (await import('./services/resources.js')).resourceSnapshot(this.#table.list());
  }

  checkBudget(agentId: string): import('./services/budgets/accounts.js').BudgetSnapshot | undefined {
    return this.#table.record(agentId)?.account?.snapshot();
  }

  describe(spec: Pick<SpawnSpec, 'agent' | 'selection' | 'tools' | 'systemPrompt'> = {}): AgentDescription {
    return this.#assemblies.describe(spec);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A started scheduler stops first: no new scheduled run while the agents are killed.
    if (this.#services) await (await this.#services).close();
    await this.#table.killAll('the kernel is closing');
    this.#bus.closeAll();
    try {
      // A kernel that used no audit entry opened no chain: it has no head to write.
      await (await this.#base.audit.settled())?.anchor(undefined, undefined, { flush: true });
    } finally {
      // Spans still open end, and what is pending is exported (a bounded wait).
      await this.#telemetry?.shutdown();
      await closeBase(this.#base);
    }
  }
}
