/**
 * The services the kernel holds but does not build until someone asks (issue 32: "a small core
 * that holds services instead of building them"). Each entry opens its service from the context
 * with a dynamic import, so a one-shot `oxydra run` never loads the token store, the approvals
 * queue, the cost report or the scheduler, and an admin command loads just the one it uses.
 *
 * To add a service: give it a name and type in KernelServices and an opener below; hosts then
 * call `kernel.service(name)` (or `openServices(...)` without agents). See CONTRIBUTING.md.
 */

import type { PluginChannelOffer } from '../plugins/host.js';
import type { KernelScheduler } from '../scheduler/index.js';
import type { ScheduleCalls } from '../scheduler/schedule-calls.js';
import type { ApprovalCalls } from './admin-approvals.js';
import type { AdminPolicy } from './admin-policy.js';
import type { AdminServices } from './admin-services.js';
import type { Admission } from './admission.js';
import type { AuditCalls } from './audit/audit-calls.js';
import type { BudgetCalls } from './budgets/budget-calls.js';
import type { Exec } from './exec.js';
import type { CheckpointCalls } from './history/workspace-history.js';
import type { MemoryCalls } from './memory-calls.js';
import type { ServiceContext } from './service-context.js';
import type { SessionAccess } from './session-access.js';
import type { StateCalls } from './state.js';
import type { TokenCalls } from './tokens.js';
import type { CostCalls } from './usage/cost-report.js';

export interface KernelServices {
  /**
   * The per-user limit on runs at once ([gateway] max_concurrent_turns_per_user), one for every
   * door (gateway turns, HTTP runs, A2A, MCP, channels) and the scheduler. Opened on first ask:
   * a one-shot `oxydra run` takes no slot and never loads it.
   */
  admission: Admission;
  /**
   * The ownership rule over stored sessions and what else a user owns: a user's calls see only
   * that user's; another's is "not found" (the gateway's routes, its hub and the MCP server ask it).
   */
  sessionAccess: SessionAccess;
  /** The tamper-evident record of what every agent did: list, verify, anchor (`oxydra audit`). */
  audit: AuditCalls;
  /** Spending caps per user and agent per day, month and window, across restarts. */
  budgets: BudgetCalls;
  /** Gateway tokens bound to users and roles. */
  tokens: TokenCalls;
  /** Admin operations asked for over the gateway that wait for a second person's approval. */
  adminApprovals: ApprovalCalls;
  /** The two-person rule for admin changes asked for remotely, and the approvals queue's live feed. */
  adminPolicy: AdminPolicy;
  /** What was spent, from the usage log (one row per priced call). */
  costs: CostCalls;
  /** The workspace's checkpoints (commit, tag, restore, undo); undefined when [checkpoints] is off. */
  checkpoints: CheckpointCalls | undefined;
  /** Stored schedules, changed without running anything (`oxydra schedule`). */
  schedules: ScheduleCalls;
  /** The stored schedules and the service that fires them (a kernel only: it spawns agents). */
  scheduler: KernelScheduler;
  /** Durable named JSON values in the workspace's database (memory must be on). */
  state: StateCalls;
  /** Notes and retrieval over the workspace's memory database (a kernel only). */
  memory: MemoryCalls;
  /** A command run the way agents' commands are: sandboxed, scrubbed, audited (a kernel only). */
  exec: Exec;
  /** The chat channels loaded plugins provide, their plugins initialised (a kernel only; `oxydra channels run`). */
  pluginChannels: PluginChannelOffer[];
}

export type ServiceName = keyof KernelServices;

/** Opens another service of the same holder (one instance each, shared). */
type ServiceLookup = <N extends ServiceName>(name: N) => Promise<KernelServices[N]>;

type Opener<N extends ServiceName> = (
  context: ServiceContext,
  service: ServiceLookup,
) => Promise<KernelServices[N]>;

/** Budgets, tokens and the approvals queue are built together: a revoked token pauses schedules. */
const adminGroups = new WeakMap<ServiceContext, Promise<AdminServices>>();
function adminGroup(context: ServiceContext): Promise<AdminServices> {
  let group = adminGroups.get(context);
  if (!group) {
    group = Promise.all([
      import('./admin-services.js'),
      context.spending(),
      context.audit(),
      context.control(),
    ]).then(([{ adminServices }, spending, audit, control]) =>
      adminServices(context.config, spending, audit, control),
    );
    adminGroups.set(context, group);
  }
  return group;
}

/** The kernel's agents, for services that need a whole kernel (openServices opens none). */
function agentsOf(context: ServiceContext, name: ServiceName) {
  if (!context.agents)
    throw new Error(`the ${name} service needs a kernel: open one with openKernel to use it`);
  return context.agents;
}

export const SERVICE_OPENERS: { [N in ServiceName]: Opener<N> } = {
  admission: async (context) => {
    const { Admission } = await import('./admission.js');
    return new Admission(context.config.gateway.max_concurrent_turns_per_user);
  },
  sessionAccess: async (context) => (await import('./session-access.js')).sessionAccess(context.sessions),
  audit: async (context) =>
    (await import('./audit/audit-calls.js')).auditCalls(await context.audit(), context.sessions),
  budgets: async (context) => (await adminGroup(context)).budgets,
  tokens: async (context) => (await adminGroup(context)).tokens,
  adminApprovals: async (context) => (await adminGroup(context)).adminApprovals,
  adminPolicy: async (_context, service) => {
    const { adminPolicy } = await import('./admin-policy.js');
    return adminPolicy(await service('adminApprovals'), await service('budgets'), await service('tokens'));
  },
  costs: async (context) =>
    (await import('./usage/cost-report.js')).costCalls((await context.control()).usage, context.flushUsage),
  checkpoints: async (context) => context.checkpoints(),
  schedules: async (context) => {
    const { scheduleCalls } = await import('../scheduler/schedule-calls.js');
    const clock = context.clock;
    return scheduleCalls(await context.audit(), {
      config: context.config,
      stores: await context.control(),
      ...(clock ? { now: () => clock.now() } : {}),
    });
  },
  scheduler: async (context, service) => {
    const agents = agentsOf(context, 'scheduler');
    const [{ kernelScheduler }, { Scheduler }, calls, admission, stores, audit] = await Promise.all([
      import('../scheduler/index.js'),
      import('../scheduler/scheduler.js'),
      service('schedules'),
      service('admission'),
      context.control(),
      context.audit(),
    ]);
    const engine = new Scheduler({
      stores,
      audit,
      config: context.config,
      calls,
      clock: agents.clock,
      spawn: agents.spawn,
      describe: agents.describe,
      checkBudget: agents.checkBudget,
      warn: context.warn,
      admission,
      specKernel: {
        config: context.config,
        workspace: context.workspace,
        filePolicy: agents.base.filePolicy,
        service,
        agents: { spawn: agents.spawn },
      },
    });
    context.atClose(() => engine.stop());
    return kernelScheduler(calls, engine);
  },
  state: async (context) => {
    agentsOf(context, 'state');
    const { stateCalls } = await import('./state.js');
    return stateCalls(context.memory, context.stores?.state);
  },
  memory: async (context) => {
    agentsOf(context, 'memory');
    return (await import('./memory-calls.js')).memoryCalls(context.memory);
  },
  exec: async (context) => (await import('./exec.js')).execCall(agentsOf(context, 'exec').base),
  pluginChannels: async (context) =>
    (await agentsOf(context, 'pluginChannels').base.plugins?.channels()) ?? [],
};
