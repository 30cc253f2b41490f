/**
 * The service holder of a kernel: the held services see the kernel's own database, audit
 * chain, ledger and memory (one of each per workspace), and, because a kernel runs agents, the
 * agents side the scheduler and exec need. The kernel loads this module (and the holder's) at
 * its first `service(name)`: a run that asks for no service loads neither.
 */
import { systemClock } from '@oxydra/runtime';
import type { KernelBase } from '../assemble/base.js';
import type { Kernel } from '../kernel-api.js';
import type { KernelOptions } from '../types.js';
import { ServiceHost } from './service-host.js';

export function kernelServiceHost(
  base: KernelBase,
  options: KernelOptions,
  kernel: Pick<Kernel, 'agents' | 'checkBudget' | 'describe'>,
): ServiceHost {
  const clock = options.clock ?? systemClock;
  return new ServiceHost({
    workspace: options.workspace,
    config: base.config,
    control: async () => base.control,
    audit: () => base.audit.open(),
    spending: async () => base.spending,
    warn: base.warn,
    sessions: async () => base.memory?.db.sessions,
    checkpoints: async () => base.history?.(),
    flushUsage: async () => base.usageLog?.flush(),
    clock,
    ...(base.memory ? { memory: base.memory } : {}),
    ...(options.stores ? { stores: options.stores } : {}),
    agents: {
      base,
      clock,
      spawn: (spec) => kernel.agents.spawn(spec),
      describe: (spec) => kernel.describe(spec),
      checkBudget: (agentId) => kernel.checkBudget(agentId),
    },
  });
}
