/**
 * Which persona an agent speaks as: `[agents.<name>] persona` for a named agent (none without
 * one: a delegated sub-agent does not inherit its caller's); for the default agent the root
 * `persona`, else the workspace's active persona. Resolved at most once a second per agent name
 * (a few stats each: per spawn they were on every turn's path; the file is re-read only when it
 * changed): a persona changed through the kernel applies to the next agent (the kernel forgets
 * what it resolved), one changed by another process (the CLI while a gateway runs) from a
 * second later.
 */
import type { AgentConfig } from '@oxydra/types';
import type { LoadedPersona, PersonaStore } from './store.js';

/** How long a resolved persona is reused before its files are looked at again. */
export const PERSONA_FRESH_MS = 1000;

type Resolved = { at: number; persona: LoadedPersona | undefined };
const resolved = new WeakMap<PersonaStore, Map<string, Resolved>>();

export function agentPersona(
  config: AgentConfig,
  agent: string | undefined,
  store: PersonaStore,
): LoadedPersona | undefined {
  let byAgent = resolved.get(store);
  if (!byAgent) {
    byAgent = new Map();
    resolved.set(store, byAgent);
  }
  const key = agent ?? 'default';
  const now = performance.now();
  const seen = byAgent.get(key);
  if (seen && now - seen.at < PERSONA_FRESH_MS) return seen.persona;
  // A failure is not kept: the next spawn tries again (and reports it again).
  const persona = resolvePersona(config, agent, store);
  byAgent.set(key, { at: now, persona });
  return persona;
}

/** After a change through the store: the next spawn resolves again. */
export function forgetPersonas(store: PersonaStore): void {
  resolved.delete(store);
}

function resolvePersona(
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
