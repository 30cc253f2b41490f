/**
 * Which persona an agent speaks as: `[agents.<name>] persona` for a named agent (none without
 * one: a delegated sub-agent does not inherit its caller's); for the default agent the root
 * `persona`, else the workspace's active persona. Resolved at each spawn (a few stats; the file
 * is re-read only when it changed), so a persona changed or made active while a gateway runs
 * applies to the next agent.
 */
import type { AgentConfig } from '@oxydra/types';
import type { LoadedPersona, PersonaStore } from './store.js';

export function agentPersona(
  config: AgentConfig,
  agent: string | undefined,
  store: PersonaStore,
): LoadedPersona | undefined {
  if (agent !== undefined && agent !== 'default') {
    const ref = Object.hasOwn(config.agents, agent) ? config.agents[agent]?.persona : undefined;
    return ref === undefined ? undefined : store.resolve(ref, `agents.${agent}.persona`);
  }
  if (config.persona !== undefined) return store.resolve(config.persona, 'persona');
  return store.loadActive();
}
