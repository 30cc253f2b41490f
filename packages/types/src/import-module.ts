/**
 * import() of a module by URL (a user's plugin file) that works wherever this code runs.
 *
 * `oxydra` runs most commands from a CommonJS bundle whose code V8 restores from a cache
 * (packages/cli/bin/code-cache.cjs); on Node 20 such code cannot run import(), and the bundler
 * turns import() into require(), which cannot load a file URL or an ES module there. The
 * launcher therefore provides a real import() under this symbol; anywhere else (the ES module
 * bundle, the library, tests) the plain import() below runs.
 */
export const IMPORT_MODULE = Symbol.for('oxydra.importModule');

export function importModule(url: string): Promise<unknown> {
  const provided = (globalThis as Record<symbol, unknown>)[IMPORT_MODULE];
  if (typeof provided === 'function') return (provided as (url: string) => Promise<unknown>)(url);
  return import(url);
}
