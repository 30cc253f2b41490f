/**
 * Loading the plugins `[plugins.load.<name>]` names: a path (relative to the workspace) or an
 * npm package installed where the workspace can resolve it. A plugin's module must default-export
 * `definePlugin({...})`; its `[...] config` is checked by its configSchema. Everything wrong here
 * is a configuration error naming the plugin and the fix, before any agent runs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

const isPath = (from: string) => from.startsWith('.') || isAbsolute(from) || from.startsWith('~');

/** Every enabled plugin, loaded, checked and in initialisation order. */
export async function loadPlugins(config: AgentConfig, workspace: string): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const [key, entry] of Object.entries(config.plugins.load)) {
    if (!entry.enabled) continue;
    const where = { keyPath: `plugins.load.${key}` };
    const file = resolvePlugin(entry.from, workspace, key);
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

/** The module file a `from` names. */
function resolvePlugin(from: string, workspace: string, key: string): string {
  const where = { keyPath: `plugins.load.${key}.from` };
  if (isPath(from)) {
    const home = process.env.HOME ?? '';
    const path = from.startsWith('~') ? join(home, from.slice(1)) : resolve(workspace, from);
    if (!existsSync(path)) {
      throw new ConfigError(`plugin ${key}: ${path} does not exist`, where, {
        hint: 'from is a path relative to the workspace, or an installed npm package name',
      });
    }
    return statSync(path).isDirectory() ? packageEntry(path, key) : path;
  }
  // An npm package: resolved from the workspace, as `node` would from a file there.
  const require = createRequire(join(workspace, 'package.json'));
  try {
    return require.resolve(from);
  } catch {
    // ESM-only packages have no "require" entry; find the package folder and read its own.
    for (const base of require.resolve.paths(from) ?? []) {
      const folder = join(base, from);
      if (existsSync(join(folder, 'package.json'))) return packageEntry(folder, key);
    }
  }
  throw new ConfigError(
    `plugin ${key}: the package "${from}" is not installed where ${workspace} can find it`,
    where,
    {
      hint: `npm install ${from} in the workspace, or give a path (./plugins/...)`,
    },
  );
}

/** A plugin folder's entry module: its package.json "exports"/"module"/"main", else index.js. */
function packageEntry(folder: string, key: string): string {
  const manifest = join(folder, 'package.json');
  let entry = 'index.js';
  if (existsSync(manifest)) {
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports?: unknown;
      module?: string;
      main?: string;
    };
    entry = exportEntry(pkg.exports) ?? pkg.module ?? pkg.main ?? entry;
  }
  const file = resolve(folder, entry);
  if (!existsSync(file)) {
    throw new ConfigError(`plugin ${key}: ${folder} has no entry module (${entry})`, {
      keyPath: `plugins.load.${key}.from`,
    });
  }
  return file;
}

function exportEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const root = (exports as Record<string, unknown>)['.'] ?? exports;
  if (typeof root === 'string') return root;
  if (typeof root !== 'object' || root === null) return undefined;
  const conditions = root as Record<string, unknown>;
  for (const condition of ['import', 'default', 'node']) {
    const value = conditions[condition];
    if (typeof value === 'string') return value;
  }
  return undefined;
}
