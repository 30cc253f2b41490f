/**
 * A plugin imports `@oxydra/plugin` (or `oxydra/plugin`, the installed package's name for it)
 * and `zod`, as the plugin recipe in docs/extending.md writes it. In the user's own project neither is installed:
 * Oxydra is installed globally, or as a program, and a plugin folder has no node_modules. So
 * when a plugin is loaded, these imports fall back to the running Oxydra's own copies when the
 * plugin's folder cannot resolve them itself (a project that installs its own keeps it).
 *
 * The fallback is a module resolve hook (node:module register, Node 20.6+), registered only when
 * a plugin is loaded: a process without plugins pays nothing. It resolves the same specifier as
 * if imported from Oxydra's own files, where `oxydra/plugin` is the package's self-reference
 * (installed) and `@oxydra/plugin` a workspace dependency (a source checkout).
 */
import { register } from 'node:module';

/** The hook, as an ES module in a data: URL (nothing to ship or find on disk). */
const HOOK = `
let base;
export function initialize(data) { base = data.base; }
const SHARED = /^(?:@oxydra\\/plugin|oxydra\\/plugin|zod)(?:\\/.*)?$/;
function candidates(specifier) {
  if (specifier === '@oxydra/plugin' || specifier === 'oxydra/plugin') return ['oxydra/plugin', '@oxydra/plugin'];
  return [specifier];
}
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !SHARED.test(specifier) || context.parentURL === base) throw error;
    for (const candidate of candidates(specifier)) {
      try {
        return await next(candidate, { ...context, parentURL: base });
      } catch {}
    }
    throw error;
  }
}
`;

let registered = false;

/** Makes Oxydra's plugin API and zod importable by plugins that do not install them. */
export function shareModulesWithPlugins(): void {
  if (registered) return;
  registered = true;
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`, {
    data: { base: import.meta.url },
  });
}
