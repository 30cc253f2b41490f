/**
 * The kernel's surface: what every host (CLI, gateway, runner guest, scheduler, library programs)
 * may call. The core (agents, events, approvals, sessions) is always open; everything else is a
 * held service (services/registry.ts), opened on first ask through `service(name)`.
 */
import type { PathPolicy } from '@oxydra/tools';
import type { AgentConfig, SandboxStatus, Tool, ToolSourceHealth } from '@oxydra/types';
import type { AgentDescription } from './assemble/agent.js';
import type { PersonaStore } from './personas/persona-store.js';
import type { PluginInfo } from './plugins/host.js';
import type { BudgetSnapshot } from './services/budgets/accounts.js';
import type { ResourceSnapshot } from './services/resources.js';
import type { ServiceHost } from './services/service-host.js';
import type { OwnerGrant } from './services/session-access.js';
import type { KernelTelemetry } from './services/telemetry.js';
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

/**
 * A kernel and the workspace owner's grant, the only key to its whole session store
 * (`sessionAccess.ownerStore(owner)`): what `openKernel(options, { ownerGrant: true })` gives its
 * caller alone, the composition root that hands it to the hosts serving every user (the gateway's
 * hub, the channels). A kernel has no call that mints one, so code given the kernel (a route
 * acting for a user) cannot get it.
 */
export interface OwnedKernel {
  kernel: Kernel;
  owner: OwnerGrant;
}

export interface Kernel {
  readonly workspace: string;
  /** The configuration the kernel was opened with. */
  readonly config: AgentConfig;
  readonly host: KernelOptions['host'];
  /**
   * The paths the file tools may not reach (the home folder's secrets, the vault), for a host
   * that reads workspace files on the agent's behalf (a spec run's checks).
   */
  readonly filePolicy: PathPolicy;
  agents: {
    spawn(spec: SpawnSpec): AgentHandle;
    wait(id: string): Promise<AgentResult>;
    kill(id: string, reason?: string): Promise<void>;
    list(filter?: { parentId?: string; status?: AgentStatus }): AgentInfo[];
    get(id: string): AgentInfo | undefined;
  };
  approvals: { respond(id: string, allow: boolean): boolean; pending(): { id: string; agentId: string }[] };
  /**
   * The stored session a typed value names (full id, short id or unique prefix), else the value
   * itself (a new session of that name). Throws a UsageError for an ambiguous or invalid value,
   * or when memory is off, so a host can refuse it before spawning.
   */
  resolveSession(typed: string, scope?: { userId?: string }): Promise<string>;
  /**
   * Character files shaping the agents' system prompts: list, show, create, update, delete,
   * setActive (audited). The store loads on the first call (a run without personas never loads it).
   */
  personas(): Promise<PersonaStore>;
  /**
   * A service the kernel holds and opens on first ask (admission, sessionAccess, audit, budgets,
   * tokens, adminApprovals, adminPolicy, costs, checkpoints, schedules, scheduler, state, memory,
   * exec): one instance each.
   */
  service: ServiceHost['service'];
  /** Several held services by name: `const { tokens, budgets } = await kernel.services('tokens', 'budgets')`. */
  services: ServiceHost['services'];
  subscribe(filter?: EventFilter): Subscription;
  /** What the process and machine use now, and the live agents (its module loads at the first call). */
  resources(): Promise<ResourceSnapshot>;
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
