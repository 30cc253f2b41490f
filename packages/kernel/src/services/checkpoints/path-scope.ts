/**
 * Which paths a restore may touch. An undo puts back only what its run changed (the paths of
 * the run's diff, directories with a trailing `/`), leaving every other file as it is now;
 * the folders above those paths may be recreated when they are gone, never otherwise changed.
 */
export interface PathScope {
  /** The path (a file, a symlink or a directory without its `/`) is one to restore. */
  includes(path: string): boolean;
  /** A folder above a path to restore. */
  isAncestor(path: string): boolean;
}

export const WHOLE_TREE: PathScope = { includes: () => true, isAncestor: () => false };

export function pathScope(paths: readonly string[] | undefined): PathScope {
  if (paths === undefined) return WHOLE_TREE;
  const exact = new Set<string>();
  const dirs = new Set<string>();
  const ancestors = new Set<string>();
  for (const raw of paths) {
    const bare = raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (bare === '') return WHOLE_TREE;
    exact.add(bare);
    if (raw.endsWith('/')) dirs.add(bare);
    for (let cut = bare.lastIndexOf('/'); cut > 0; cut = bare.lastIndexOf('/', cut - 1)) {
      ancestors.add(bare.slice(0, cut));
    }
  }
  return {
    includes(path) {
      const bare = path.replace(/\/+$/, '');
      if (exact.has(bare)) return true;
      if (dirs.size === 0) return false;
      // Inside a directory the run added or removed whole: walk up its parents (no scan of all dirs).
      for (let cut = bare.lastIndexOf('/'); cut > 0; cut = bare.lastIndexOf('/', cut - 1)) {
        if (dirs.has(bare.slice(0, cut))) return true;
      }
      return false;
    },
    isAncestor: (path) => ancestors.has(path.replace(/\/+$/, '')),
  };
}
