/**
 * @oxydra/kernel: the composition root. Hosts (the CLI, the gateway, the runner's guest, tests)
 * load configuration, open a kernel and use its system calls; none assembles an agent itself.
 *
 * This entry is the core (issue 32: at most 40 names). The held services' names are in subpaths
 * a host imports only when it uses them: `@oxydra/kernel/admin`, `/audit`, `/checkpoints`,
 * `/personas`, `/replay`, `/scheduler`, `/skills`, `/workspace`.
 */

export { type AgentDescription, DEFAULT_AGENT } from './assemble/agent.js';
export { DELEGATE_TOOL } from './assemble/permissions.js';
export { openKernel } from './kernel.js';
export type { Kernel } from './kernel-api.js';
export type { OpenedServices } from './open-services.js';
export type { PluginChannelOffer, PluginInfo } from './plugins/host.js';
export { Admission, type Holder, type Release } from './services/admission.js';
export type { BudgetSnapshot } from './services/budgets/accounts.js';
export { isLifecycleEvent } from './services/event-bus.js';
export type { KernelServices, ServiceName } from './services/registry.js';
export type { ResourceSnapshot } from './services/resources.js';
export { type AccessScope, mayUse, type SessionAccess, sessionAccess } from './services/session-access.js';
export type { KernelTelemetry } from './services/telemetry.js';
export type * from './types.js';

/**
 * The workspace's held services without agents (open-services.ts), loaded at the call: a host
 * that opens a kernel instead (`oxydra run`, the gateway) never loads that module.
 */
export async function openServices(
  options: Parameters<typeof import('./open-services.js').openServices>[0],
): Promise<import('./open-services.js').OpenedServices> {
  return (await import('./open-services.js')).openServices(options);
}
