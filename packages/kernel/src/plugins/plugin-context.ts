/**
 * What a plugin's init and parts are given: its name and checked config, the workspace, a
 * logger on the kernel's warning line, its own durable state (kernel_state, category
 * `plugin.<name>`; in memory when memory is off) and the workspace's memory.
 */
import type { PluginContext, PluginMemory, PluginState } from '@oxydra/plugin';
import type { WorkspaceMemory } from '../assemble/memory.js';
import type { LoadedPlugin } from './load.js';

export function pluginContext(
  loaded: LoadedPlugin,
  options: { workspace: string; warn: (message: string) => void; memory: WorkspaceMemory | undefined },
): PluginContext<unknown> {
  const { name } = loaded;
  return {
    name,
    config: loaded.config,
    workspace: options.workspace,
    log: {
      info: (message) => process.stderr.write(`plugin ${name}: ${message}\n`),
      warn: (message) => options.warn(`plugin ${name}: ${message}`),
    },
    state: pluginState(name, options.memory),
    memory: options.memory ? pluginMemory(options.memory) : undefined,
  };
}

function pluginState(name: string, memory: WorkspaceMemory | undefined): PluginState {
  const category = `plugin.${name}`;
  if (!memory) {
    const values = new Map<string, unknown>();
    return {
      get: async <T>(key: string) => values.get(key) as T | undefined,
      set: async (key, value) => {
        values.set(key, structuredClone(value));
      },
    };
  }
  const store = memory.db.state;
  return {
    get: async <T>(key: string) => (await store.load<T>(category, key))?.value,
    set: async (key, value) => {
      await store.save(category, key, value);
    },
  };
}

function pluginMemory(memory: WorkspaceMemory): PluginMemory {
  return {
    async remember(content, options = {}) {
      await memory.db.notes.save({ content, ...options });
    },
    async recall(query, options = {}) {
      const hits = await memory.retriever.search({ query, ...options });
      return hits.map((hit) => hit.text);
    },
  };
}
