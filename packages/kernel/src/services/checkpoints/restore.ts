/**
 * Making the workspace equal to a checkpoint: bytes, modes, symlinks and directories. Ignored
 * files, files over the size limit and nested repositories are never touched. With a path
 * scope (an undo: what its run changed), only those paths are put back and everything else
 * stays. Loaded on first use: a run only snapshots.
 */
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimited } from '@oxydra/runtime';
import { depthOf, isCode, listFiles } from './fs-utils.js';
import type { Git } from './git.js';
import { chmodNoFollow, lstatNoFollow, mkdirNoFollow, rmdirNoFollow, unlinkNoFollow } from './no-follow.js';
import { pathScope } from './path-scope.js';
import { type EntryToWrite, writeEntries } from './restore-write.js';
import { gitModeBits, isSymlink, scoped } from './tree-state.js';
import {
  type Capture,
  CheckpointError,
  type Manifest,
  type ManifestEntry,
  type RestoreReport,
  type TreeState,
} from './types.js';

// Entries changed at once: each holds two descriptors while it is changed (no-follow.ts), and a
// restore of thousands of files must stay far below the open files limit (often 1024).
const AT_ONCE = 16;

/** Restores `target` (whose state is `wholeWanted`) over the workspace as captured just now (`whole`). */
export async function restoreTree(
  git: Git,
  whole: Capture,
  wholeWanted: TreeState,
  paths: readonly string[] | undefined,
): Promise<RestoreReport> {
  const workspace = git.workspace;
  const scope = pathScope(paths);
  const current = scoped(whole, scope, undefined);
  const wanted = scoped(wholeWanted, scope, whole.manifest);
  // Skipped now (too large, nested repository) or skipped then: never ours to touch.
  const skipped = new Set([...current.manifest.skipped, ...wanted.manifest.skipped]);
  const skippedDirs = [...skipped].filter((skip) => skip.endsWith('/'));
  const isKept = (path: string) => skipped.has(path) || skippedDirs.some((dir) => path.startsWith(dir));
  const kept = new Set<string>();
  const toRemove: string[] = [];
  for (const path of current.entries.keys()) {
    if (wanted.entries.has(path)) continue;
    if (isKept(path)) kept.add(path);
    else toRemove.push(path);
  }
  const toWrite: string[] = [];
  for (const [path, entry] of wanted.entries) {
    const now = current.entries.get(path);
    // Same bytes, only the exec bit differs: the manifest pass fixes the mode in place.
    const sameBytes = now && now.sha === entry.sha && isSymlink(now) === isSymlink(entry);
    if (sameBytes) continue;
    if (isKept(path)) kept.add(path);
    else toWrite.push(path);
  }
  // Check everything before changing anything: a refused restore leaves no half-state.
  const plan = await planWrites(workspace, toWrite, new Set(toRemove), whole);
  for (const path of plan.kept) kept.add(path);

  // A folder on the way swapped for a link since the capture (a command running meanwhile): the
  // path is left alone, never removed from wherever the link points.
  const unlinked: boolean[] = [];
  await forEachLimited(toRemove, AT_ONCE, async (path, i) => {
    unlinked[i] = await unlinkNoFollow(workspace, path).catch((error: unknown) => {
      if (isCode(error, 'ENOENT')) return true;
      throw error;
    });
  });
  const removed = toRemove.filter((_, i) => unlinked[i]);
  for (const [i, path] of toRemove.entries()) if (!unlinked[i]) kept.add(path);
  // Kept: every folder the checkpoint has, in scope or not (an emptied one stays if it was there).
  removed.push(...(await pruneDirectories(workspace, current.manifest, wholeWanted.manifest, toRemove)));
  const fileModes = new Map(wanted.manifest.entries.map((entry) => [entry.path, entry]));
  const writes = plan.write.map((path): EntryToWrite => {
    const entry = wanted.entries.get(path)!;
    const recorded = fileModes.get(path);
    return { path, entry, mode: recorded?.type === 'file' ? recorded.mode : gitModeBits(entry.mode) };
  });
  // A folder on the way that is a link now, or a folder where the entry goes: left as it is.
  const { written, refused: notWritten } = await writeEntries(git, writes);
  for (const path of notWritten) kept.add(path);
  const { modes, created, refused } = await applyManifest(
    workspace,
    wanted.manifest,
    current.manifest,
    new Set(plan.write),
    isKept,
  );
  for (const path of refused) kept.add(path);
  return {
    removed: removed.sort(),
    written: [...written, ...created].filter((path) => !kept.has(path)).sort(),
    modes: modes.sort(),
    kept: [...kept].sort(),
  };
}

/**
 * Decides which paths can really be written. A path held now by an uncaptured file (an
 * ignored one) is kept as it is. A restore that would have to delete something uncaptured is
 * refused before anything changes: an ignored file inside a directory standing where a file
 * goes, or an uncaptured file or symlink (which git would otherwise follow) where a directory goes.
 */
async function planWrites(
  workspace: string,
  toWrite: string[],
  toRemove: Set<string>,
  current: Capture,
): Promise<{ write: string[]; kept: string[] }> {
  const currentDirs = new Set(current.manifest.entries.filter((e) => e.type === 'dir').map((e) => e.path));
  const probes = new Map<string, Promise<Stats | undefined>>();
  const probe = (path: string) => {
    let info = probes.get(path);
    if (!info) {
      info = lstat(join(workspace, path)).catch(() => undefined);
      probes.set(path, info);
    }
    return info;
  };
  const blockers = new Set<string>();
  const kept: string[] = [];
  const verdicts = await Promise.all(
    toWrite.map(async (path): Promise<boolean> => {
      let parentGoes = false;
      for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1)) {
        const dir = path.slice(0, cut);
        // A symlink or file removed first: nothing stands below it then (and probing below
        // it now would follow the symlink).
        if (toRemove.has(dir)) {
          parentGoes = true;
          break;
        }
        if (currentDirs.has(dir)) continue;
        const info = await probe(dir);
        if (!info) break;
        if (!info.isDirectory()) blockers.add(dir);
      }
      if (current.entries.has(path) || parentGoes) return true;
      const info = currentDirs.has(path) ? undefined : await probe(path);
      if (info && !info.isDirectory()) {
        kept.push(path);
        return false;
      }
      if (currentDirs.has(path) || info) {
        for (const inside of await listFiles(workspace, path)) {
          if (!toRemove.has(inside)) blockers.add(inside);
        }
      }
      return true;
    }),
  );
  if (blockers.size > 0) {
    const list = [...blockers].sort().slice(0, 10).join(', ');
    throw new CheckpointError(`restore refused: it would overwrite files that are not checkpointed: ${list}`);
  }
  return { write: toWrite.filter((_, i) => verdicts[i]), kept };
}

/** Removes directories the target does not have, deepest first, when they are now empty. */
async function pruneDirectories(
  workspace: string,
  current: Manifest,
  wanted: Manifest,
  removedFiles: string[],
): Promise<string[]> {
  const keep = new Set(wanted.entries.filter((e) => e.type === 'dir').map((e) => e.path));
  const candidates = new Set(current.entries.filter((e) => e.type === 'dir').map((e) => e.path));
  for (const path of removedFiles) {
    for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
      candidates.add(path.slice(0, cut));
    }
  }
  const ordered = [...candidates].filter((dir) => !keep.has(dir)).sort((a, b) => depthOf(b) - depthOf(a));
  const removed: string[] = [];
  for (const dir of ordered) {
    // Not empty (ignored or skipped files inside), already gone, or a link on the way: leave it.
    if (await rmdirNoFollow(workspace, dir)) removed.push(dir + '/');
  }
  return removed;
}

/**
 * Gives files and directories their recorded modes and recreates empty directories. What we
 * captured a moment ago tells us the current modes, so only written or differing entries are
 * touched (`written`: their files were given their modes as they were written). Nothing here
 * follows a link (no-follow.ts): a folder on the way that is a link now (one the restore's paths
 * leave alone, or one swapped in meanwhile) makes the entry `refused`.
 */
async function applyManifest(
  workspace: string,
  wanted: Manifest,
  current: Manifest,
  written: Set<string>,
  isKept: (path: string) => boolean,
): Promise<{ modes: string[]; created: string[]; refused: string[] }> {
  const now = new Map(current.entries.map((e) => [e.path, e]));
  const modes: string[] = [];
  const created: string[] = [];
  const refused: string[] = [];
  await forEachLimited(wanted.entries, AT_ONCE, async (entry) => {
    // One written (or refused) has its mode already: set on the file before it took the name.
    if (entry.type !== 'file' || isKept(entry.path) || written.has(entry.path)) return;
    const before = now.get(entry.path);
    if (before?.type !== 'file' || before.mode === entry.mode) return;
    if (!(await chmodNoFollow(workspace, entry.path, entry.mode))) refused.push(entry.path);
    else modes.push(entry.path);
  });
  const dirs = wanted.entries.filter((e) => e.type === 'dir' && !isKept(e.path + '/'));
  const touched: ManifestEntry[] = [];
  // Parents first for creation (entries are sorted by path).
  for (const entry of dirs) {
    const before = now.get(entry.path);
    if (before?.type === 'dir') {
      if (before.mode !== entry.mode) touched.push(entry);
      continue;
    }
    const info = await lstatNoFollow(workspace, entry.path);
    if (!info) {
      // Its folder gone, or a link that could point outside the workspace: never created there.
      if (!(await mkdirNoFollow(workspace, entry.path))) {
        refused.push(entry.path + '/');
        continue;
      }
      created.push(entry.path + '/');
      touched.push(entry);
    } else if (info.isDirectory() && (info.mode & 0o7777) !== entry.mode) {
      // Created just now as a folder of a written file (restore-write.ts).
      touched.push(entry);
    }
  }
  // Deepest first, so a read-only parent cannot stop us from fixing its children.
  for (const entry of touched.sort((a, b) => depthOf(b.path) - depthOf(a.path))) {
    if (!(await chmodNoFollow(workspace, entry.path, entry.mode))) refused.push(entry.path + '/');
    else if (now.get(entry.path)?.type === 'dir') modes.push(entry.path + '/');
  }
  return { modes, created, refused };
}
