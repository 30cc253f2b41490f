/**
 * Which persona an agent speaks as: `[agents.<name>] persona` for a named agent (none without
 * one: a delegated sub-agent does not inherit its caller's); for the default agent the root
 * `persona`, else the workspace's active persona. Resolved at most once a second per agent name
 * (a few stats each: per spawn they were on every turn's path; the file is re-read only when it
 * changed): a persona changed through the kernel applies to the next agent (the kernel forgets
 * what it resolved), one changed by another process (the CLI while a gateway runs) from a
 * second later.
 */
import { lstatSync } from 'node:fs';
import type { AgentConfig } from '@oxydra/types';
import { FreshLooks } from '@oxydra/types';
import { activePersonaFile } from './active-file.js';
import type { LoadedPersona, PersonaStore, PersonaStoreOptions } from './persona-store.js';

/** Each store's resolved personas by agent name, reused for FRESH_MS. */
const resolved = new WeakMap<PersonaStore, FreshLooks<string, LoadedPersona | undefined>>();

/**
 * A kernel's personas. The store (and the character parsing and rendering it brings) loads at
 * the first ask, or when the kernel opens if the configuration names a persona or one is active:
 * a run with no persona loads none of it. A persona made active by another process while the
 * store is not loaded is looked for at most once a second (as a loaded store looks at its
 * files), starts its loading, and applies from the first spawn after.
 */
export class KernelPersonas {
  readonly #open: () => Promise<PersonaStore>;
  #store: PersonaStore | undefined;
  #loading: Promise<PersonaStore> | undefined;
  /** Whether an active file exists, as forAgent last looked (the store not loaded). */
  readonly #activeLooks = new FreshLooks<'active', boolean>();

  constructor(
    readonly workspace: string,
    env: NodeJS.ProcessEnv,
    options: PersonaStoreOptions,
  ) {
    this.#open = async () => {
      const { personaStore } = await import('./store.js');
      const store = personaStore(workspace, env, {
        ...options,
        onChange: () => {
          forgetPersonas(store);
          options.onChange?.();
        },
      });
      this.#store = store;
      return store;
    };
  }

  /** The store, loaded on the first call. */
  store(): Promise<PersonaStore> {
    this.#loading ??= this.#open().catch((error: unknown) => {
      this.#loading = undefined;
      throw error;
    });
    return this.#loading;
  }

  /** Loads the store now when an agent may speak as a persona (before the first spawn). */
  async preload(config: AgentConfig): Promise<void> {
    const named =
      config.persona !== undefined ||
      Object.values(config.agents).some((agent) => agent?.persona !== undefined);
    if (named || this.#activeFileExists()) await this.store();
  }

  /** The persona an agent speaks as, if any (synchronous: assembly is). */
  forAgent(config: AgentConfig, agent: string | undefined): LoadedPersona | undefined {
    if (this.#store) return agentPersona(config, agent, this.#store);
    // Nothing was named when the kernel opened (preload); only an active file made since needs
    // the store. Looked for at most once a second, like a loaded store's files: an lstat per
    // spawn was ~3% of a persistence-off turn.
    if (this.#activeLooks.get('active', () => this.#activeFileExists())) void this.store().catch(() => {});
    return undefined;
  }

  #activeFileExists(): boolean {
    return lstatSync(activePersonaFile(this.workspace), { throwIfNoEntry: false }) !== undefined;
  }
}

export function agentPersona(
  config: AgentConfig,
  agent: string | undefined,
  store: PersonaStore,
): LoadedPersona | undefined {
  let byAgent = resolved.get(store);
  if (!byAgent) {
    byAgent = new FreshLooks();
    resolved.set(store, byAgent);
  }
  // A failure is not kept: the next spawn tries again (and reports it again).
  return byAgent.get(agent ?? 'default', () => resolvePersona(config, agent, store));
}

/** After a change through the store: the next spawn resolves again. */
function forgetPersonas(store: PersonaStore): void {
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
