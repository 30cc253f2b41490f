/**
 * The tools the kernel adds when their service is configured: delegate_to_agent ([agents.<name>]
 * to delegate to), a2a_delegate ([a2a.remotes]) and schedule_create|list|update|delete
 * ([scheduler] enabled), as kernelToolsOn (assemble/permissions.ts) reads the configuration.
 * Their modules (delegation, the A2A client, the schedule store) are imported here, at open, only
 * when configured; the kernel imports this module only when one is: a default run loads none.
 */
import type { Tool } from '@oxydra/types';
import type { KernelBase } from '../assemble/base.js';
import { kernelToolsOn } from '../assemble/permissions.js';
import type { AgentHandle, SpawnSpec } from '../types.js';
import type { AgentRecord } from './agent-turn.js';
import type { ServiceHost } from './service-host.js';

export interface HeldToolsDeps {
  base: KernelBase;
  service: ServiceHost['service'];
  /** A live agent's record: a2a_delegate charges its account, schedules run its [agents.<name>]. */
  record(agentId: string): AgentRecord | undefined;
  /** How delegate_to_agent starts its child. */
  spawn(spec: SpawnSpec): AgentHandle;
}

/** Every configured held tool for the agent named (undefined: the default one), made again for each assembly. */
export type HeldTools = (agent: string | undefined) => Tool[];

export async function openHeldTools(deps: HeldToolsDeps): Promise<HeldTools> {
  const { config, env, audit } = deps.base;
  const recordOf = (agentId: string | undefined) =>
    agentId !== undefined ? deps.record(agentId) : undefined;
  const makers: HeldTools[] = [];
  const on = kernelToolsOn(config);
  // delegationTools decides per agent; without [agents.<name>] there is no one to delegate to.
  if (on.delegate) {
    const { delegationTools } = await import('../assemble/delegate.js');
    const kernel = { spawn: deps.spawn, record: deps.record };
    makers.push((agent) => delegationTools(config, agent, kernel));
  }
  if (on.a2a) {
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
  if (on.schedules) {
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
  return (agent) => makers.flatMap((make) => make(agent));
}
