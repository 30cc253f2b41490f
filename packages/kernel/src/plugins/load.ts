/**
 * Loading the plugins `[plugins.load.<name>]` names: a path (relative to the workspace) or an
 * npm package installed where the workspace can resolve it. A plugin's module must default-export
 * `definePlugin({...})`; its `[...] config` is checked by its configSchema. Everything wrong here
 * is a configuration error naming the plugin and the fix, before any agent runs.
 */

import { pathToFileURL } from 'node:url';
import { pluginEntryFile } from '@oxydra/config';
import { isPlugin, type Plugin } from '@oxydra/plugin';
import { type AgentConfig, ConfigError, importModule } from '@oxydra/types';
import { orderPlugins } from './order.js';
import { shareModulesWithPlugins } from './shared-modules.js';

export interface LoadedPlugin {
  name: string;
  plugin: Plugin<unknown>;
  /** Its configuration, as its configSchema returned it. */
  config: unknown;
  dependencies: string[];
  priority: number;
  /** Where it was loaded from (a file path). */
  file: string;
}

/** Every enabled plugin, loaded, checked and in initialisation order. */
export async function loadPlugins(config: AgentConfig, workspace: string): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const [key, entry] of Object.entries(config.plugins.load)) {
    if (!entry.enabled) continue;
    const where = { keyPath: `plugins.load.${key}` };
    const file = pluginEntryFile(entry.from, workspace, key);
    shareModulesWithPlugins();
    let module: { default?: unknown };
    try {
      module = (await importModule(pathToFileURL(file).href)) as { default?: unknown };
    } catch (error) {
      throw new ConfigError(`plugin ${key} (${file}) failed to load: ${(error as Error).message}`, where, {
        cause: error,
        hint: 'fix the error in the plugin, or set enabled = false for it',
      });
    }
    const plugin = module.default;
    if (!isPlugin(plugin)) {
      throw new ConfigError(`plugin ${key} (${file}) does not default-export definePlugin({...})`, where, {
        hint: "export default definePlugin({ name, version, ... }) from '@oxydra/plugin'",
      });
    }
    if (plugin.name !== key) {
      throw new ConfigError(`[plugins.load.${key}] loads the plugin named "${plugin.name}"`, where, {
        hint: `name the entry after the plugin: [plugins.load.${plugin.name}]`,
      });
    }
    let pluginConfig: unknown = entry.config;
    if (plugin.configSchema) {
      const parsed = plugin.configSchema.safeParse(entry.config);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const at = issue?.path.length ? `${issue.path.map(String).join('.')}: ` : '';
        throw new ConfigError(
          `plugin ${key}: invalid config: ${at}${issue?.message ?? 'invalid'}`,
          { keyPath: `plugins.load.${key}.config` },
          { hint: `see the plugin's documentation for its settings` },
        );
      }
      pluginConfig = parsed.data;
    }
    loaded.push({
      name: key,
      plugin,
      config: pluginConfig,
      dependencies: [...(plugin.dependencies ?? [])],
      priority: plugin.priority ?? 0,
      file,
    });
  }
  return orderPlugins(loaded);
}
