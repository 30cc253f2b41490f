/**
 * `oxydra plugins list|info`: the plugins [plugins.load] names, loaded and initialised as a
 * run would (dependency order, their services started), with their parts and health.
 */
import type { PluginInfo } from '@oxydra/kernel';
import { UsageError, visibleLine } from '@oxydra/types';
import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { agentWorkspace } from '../run/load-config.js';
import { printLines } from '../run/print.js';
import { openCliKernel } from '../run/spawn-flags.js';

async function withPlugins<T>(flags: ConfigFlagValues, use: (plugins: PluginInfo[]) => T): Promise<T> {
  const kernel = await openCliKernel(flags, { workspace: agentWorkspace() });
  try {
    return use(kernel.plugins());
  } finally {
    await kernel.close();
  }
}

const count = (items: readonly string[], what: string) =>
  items.length === 0 ? undefined : `${items.length} ${what}${items.length === 1 ? '' : 's'}`;

export async function runPluginsList(options: ConfigFlagValues & { json?: boolean }): Promise<number> {
  return withPlugins(options, (plugins) => {
    if (options.json) {
      process.stdout.write(`${JSON.stringify(plugins, null, 2)}\n`);
    } else if (plugins.length === 0) {
      process.stdout.write('no plugins: add [plugins.load.<name>] with from = "<path or npm package>"\n');
    } else {
      for (const plugin of plugins) {
        const parts = [
          count(plugin.tools, 'tool'),
          count(plugin.contextProviders, 'context provider'),
          count(plugin.evaluators, 'evaluator'),
          count(plugin.services, 'service'),
          count(plugin.events, 'event handler'),
          count(plugin.channels, 'channel'),
        ].filter((part) => part !== undefined);
        // A plugin's name, version and health text are its own: made visible.
        printLines(
          `${plugin.health.ok ? 'ok  ' : 'FAIL'}  ${plugin.name} ${plugin.version}  ${parts.join(', ') || 'no parts'}${plugin.health.ok ? '' : `  (${visibleLine(plugin.health.detail)})`}\n`,
        );
      }
    }
    return plugins.every((plugin) => plugin.health.ok) ? EXIT_OK : EXIT_FAILURE;
  });
}

export async function runPluginsInfo(
  name: string,
  options: ConfigFlagValues & { json?: boolean },
): Promise<number> {
  return withPlugins(options, (plugins) => {
    const plugin = plugins.find((p) => p.name === name);
    if (!plugin) {
      throw new UsageError(`no plugin "${name}" is loaded`, {
        hint: plugins.length > 0 ? `loaded: ${plugins.map((p) => p.name).join(', ')}` : 'none is configured',
      });
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify(plugin, null, 2)}\n`);
      return EXIT_OK;
    }
    const rows: [string, string][] = [
      ['plugin', `${plugin.name} ${plugin.version}${plugin.description ? ` — ${plugin.description}` : ''}`],
      ['from', plugin.file],
      ['depends on', plugin.dependencies.join(', ') || '-'],
      ['priority', String(plugin.priority)],
      ['tools', plugin.tools.join(', ') || '-'],
      ['context', plugin.contextProviders.join(', ') || '-'],
      ['evaluators', plugin.evaluators.join(', ') || '-'],
      ['services', plugin.services.join(', ') || '-'],
      ['events', plugin.events.join(', ') || '-'],
      ['channels', plugin.channels.join(', ') || '-'],
      ['health', `${plugin.health.ok ? 'ok' : 'FAILING'}: ${plugin.health.detail}`],
    ];
    for (const [key, value] of rows) printLines(`${key.padEnd(11)}${visibleLine(value)}\n`);
    return plugin.health.ok ? EXIT_OK : EXIT_FAILURE;
  });
}
