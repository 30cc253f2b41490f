/** Manifests (what git cannot store: full modes, directories) and comparing two tree states. */
import { parseStringArray } from './commit-log.js';
import { compareStrings } from './fs-utils.js';
import { type PathScope, WHOLE_TREE } from './path-scope.js';
import type { FileChange, GitEntry, Manifest, ManifestEntry, TreeState } from './types.js';

export const MANIFEST_PATH = '.oxydra/checkpoint-manifest.json';
export const EMPTY_MANIFEST: Manifest = { version: 1, entries: [], skipped: [] };

export function serializeManifest(manifest: Manifest): string {
  return JSON.stringify(manifest);
}

export function parseManifest(json: string): Manifest | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const { entries, skipped } = value as { entries?: unknown; skipped?: unknown };
    if (!Array.isArray(entries)) return undefined;
    const valid = entries.filter(
      (e): e is ManifestEntry =>
        typeof e === 'object' &&
        e !== null &&
        typeof (e as ManifestEntry).path === 'string' &&
        ['file', 'dir', 'symlink'].includes((e as ManifestEntry).type) &&
        typeof (e as ManifestEntry).mode === 'number',
    );
    return { version: 1, entries: valid, skipped: parseStringArray(JSON.stringify(skipped ?? [])) };
  } catch {
    return undefined;
  }
}

/**
 * A state narrowed to a restore's scope. Folders above scoped paths stay in the target only
 * where they are missing now (`now`), so a restore recreates them but never resets one that is there.
 */
export function scoped(state: TreeState, scope: PathScope, now: Manifest | undefined): TreeState {
  if (scope === WHOLE_TREE) return state;
  const existingDirs = new Set(now?.entries.filter((e) => e.type === 'dir').map((e) => e.path));
  const entries = new Map([...state.entries].filter(([path]) => scope.includes(path)));
  const manifest: Manifest = {
    ...state.manifest,
    entries: state.manifest.entries.filter(
      (entry) =>
        scope.includes(entry.path) ||
        (now !== undefined &&
          entry.type === 'dir' &&
          scope.isAncestor(entry.path) &&
          !existingDirs.has(entry.path)),
    ),
  };
  return { entries, manifest };
}

/** For a commit without a manifest (foreign or damaged): what git alone knows. */
export function manifestFromEntries(entries: Map<string, GitEntry>): Manifest {
  const list: ManifestEntry[] = [...entries].map(([path, entry]) => ({
    path,
    type: entry.mode === '120000' ? 'symlink' : 'file',
    mode: gitModeBits(entry.mode),
  }));
  return { version: 1, entries: list, skipped: [] };
}

/** The permission bits git's mode implies, for an entry no manifest describes. */
export function gitModeBits(mode: string): number {
  return mode === '100755' ? 0o755 : mode === '120000' ? 0o777 : 0o644;
}

/** Changes from `before` to `after`, in path order. */
export function compareStates(before: TreeState, after: TreeState): FileChange[] {
  const changes = new Map<string, FileChange['status']>();
  for (const [path, entry] of after.entries) {
    const old = before.entries.get(path);
    if (!old) changes.set(path, 'added');
    else if (old.sha !== entry.sha || isSymlink(old) !== isSymlink(entry)) changes.set(path, 'modified');
    else if (old.mode !== entry.mode) changes.set(path, 'mode');
  }
  for (const path of before.entries.keys()) {
    if (!after.entries.has(path)) changes.set(path, 'deleted');
  }
  const oldModes = new Map(before.manifest.entries.map((e) => [e.path, e]));
  const newModes = new Map(after.manifest.entries.map((e) => [e.path, e]));
  for (const [path, entry] of newModes) {
    const old = oldModes.get(path);
    if (!old || old.type !== entry.type || entry.type === 'symlink' || old.mode === entry.mode) continue;
    const key = entry.type === 'dir' ? path + '/' : path;
    if (!changes.has(key)) changes.set(key, 'mode');
  }
  // A directory shows up only when nothing beneath it does (typically an empty one).
  const dirChanges: [string, FileChange['status']][] = [];
  const addDirs = (
    from: Map<string, ManifestEntry>,
    to: Map<string, ManifestEntry>,
    status: 'added' | 'deleted',
  ) => {
    for (const [path, entry] of from) {
      if (entry.type === 'dir' && to.get(path)?.type !== 'dir') dirChanges.push([path + '/', status]);
    }
  };
  addDirs(newModes, oldModes, 'added');
  addDirs(oldModes, newModes, 'deleted');
  const changed = [...changes.keys(), ...dirChanges.map(([path]) => path)];
  for (const [dir, status] of dirChanges) {
    if (!changed.some((path) => path !== dir && path.startsWith(dir))) changes.set(dir, status);
  }
  return [...changes]
    .map(([path, status]) => ({ path, status }))
    .sort((a, b) => compareStrings(a.path, b.path));
}

export function isSymlink(entry: GitEntry): boolean {
  return entry.mode === '120000';
}
