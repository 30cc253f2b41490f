/**
 * The tools the kernel adds when their service is configured: a2a_delegate ([a2a.remotes]) and
 * schedule_create|list|update|delete ([scheduler] enabled). Their modules (the A2A client, the
 * schedule store) are imported here, at open, only when configured: a default run loads neither.
 */
import type { Tool } from '@oxydra/types';
import type { KernelBase } from '../assemble/base.js';
import type { AgentRecord } from './agent-record.js';
import type { ServiceHost } from './service-host.js';

export interface HeldToolsDeps {
  base: KernelBase;
  service: ServiceHost['service'];
  /** A live agent's record: a2a_delegate charges its account, schedules run its [agents.<name>]. */
  record(agentId: string): AgentRecord | undefined;
}

/** Every configured held tool, made again for each assembly (they keep no state of their own). */
export type HeldTools = () => Tool[];

export async function openHeldTools(deps: HeldToolsDeps): Promise<HeldTools> {
  const { config, env, audit } = deps.base;
  const recordOf = (agentId: string | undefined) =>
    agentId !== undefined ? deps.record(agentId) : undefined;
  const makers: HeldTools[] = [];
  if (Object.keys(config.a2a.remotes).length > 0) {
    const { a2aDelegateTool } = await import('../a2a/delegate-tool.js');
    const options = {
      config,
      env,
      accountOf: (agentId: string | undefined) => recordOf(agentId)?.account,
      audit: (actor: string, type: string, data: Record<string, unknown>, resource: string) =>
        audit.recordLater(actor, type, data, resource),
    };
    makers.push(() => [a2aDelegateTool(options)]);
  }
  if (config.scheduler.enabled) {
    const [{ scheduleTools }, calls] = await Promise.all([
      import('../scheduler/schedule-tools.js'),
      deps.service('schedules'),
    ]);
    const agentNameOf = (agentId: string | undefined) => {
      const name = recordOf(agentId)?.info.name;
      return name === undefined || name === 'default' ? undefined : name;
    };
    makers.push(() => scheduleTools({ calls, agentNameOf }));
  }
  return () => makers.flatMap((make) => make());
}
