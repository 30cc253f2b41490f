/**
 * The order plugins are initialised in: every plugin after the plugins it depends on
 * (topological sort), and among those free to go, higher priority first, then by name, so the
 * order is the same on every start. A missing dependency or a cycle is a configuration error
 * that names it.
 */
import { ConfigError } from '@oxydra/types';

export interface Orderable {
  name: string;
  dependencies: readonly string[];
  priority: number;
}

export function orderPlugins<T extends Orderable>(plugins: readonly T[]): T[] {
  const byName = new Map(plugins.map((plugin) => [plugin.name, plugin]));
  for (const plugin of plugins) {
    for (const dependency of plugin.dependencies) {
      if (!byName.has(dependency)) {
        throw new ConfigError(
          `plugin ${plugin.name} depends on ${dependency}, which is not loaded`,
          { keyPath: `plugins.load.${plugin.name}` },
          {
            hint: `add [plugins.load.${dependency}] with from = "<path or package>", or remove the dependency`,
          },
        );
      }
    }
  }
  const waiting = new Map(plugins.map((plugin) => [plugin.name, new Set(plugin.dependencies)]));
  const ordered: T[] = [];
  const before = (a: T, b: T) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  while (waiting.size > 0) {
    const ready = [...waiting]
      .filter(([, deps]) => deps.size === 0)
      .map(([name]) => byName.get(name)!)
      .sort(before);
    if (ready.length === 0) throw cycleError(waiting);
    // One at a time: a plugin freed by this one may outrank the others waiting.
    const next = ready[0]!;
    ordered.push(next);
    waiting.delete(next.name);
    for (const deps of waiting.values()) deps.delete(next.name);
  }
  return ordered;
}

/** Names one cycle among the plugins still waiting: "a -> b -> c -> a". */
function cycleError(waiting: Map<string, Set<string>>): ConfigError {
  const start = [...waiting.keys()].sort()[0]!;
  const path = [start];
  const seen = new Set([start]);
  let at = start;
  for (;;) {
    const next = [...waiting.get(at)!].sort()[0]!;
    if (seen.has(next)) {
      const cycle = [...path.slice(path.indexOf(next)), next];
      return new ConfigError(
        `plugin dependencies form a cycle: ${cycle.join(' -> ')}`,
        { keyPath: `plugins.load.${next}` },
        { hint: 'remove one of these dependencies' },
      );
    }
    path.push(next);
    seen.add(next);
    at = next;
  }
}
