/**
 * Removing an entry and, for a folder, everything in it, through opened folders (see
 * anchored.ts): a folder swapped for a link mid-way is unlinked as a link, never descended
 * through, so nothing outside is ever deleted. A stopped call removes nothing more.
 *
 * All or nothing for the depth limit: the tree is walked first (the same opened, no-follow
 * way) and a folder deeper than MAX_WALK_DEPTH refuses the whole delete before anything is
 * removed. The removal checks the depth again, so a tree made deeper between the walk and the
 * removal still stops there (then saying what it left).
 */
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import type { AnchoredDir } from './anchored.js';
import { MAX_WALK_DEPTH } from './depth.js';
import { throwIfStopped } from './stopped.js';

export interface Stop {
  shown: string;
  signal: AbortSignal | undefined;
}

/** Passes over a folder's entries before giving up on one that keeps getting new ones. */
const MAX_PASSES = 3;

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** Removes `name` (a folder with everything in it), or nothing when a folder in it is too deep. */
export async function removeTree(folder: AnchoredDir, name: string, stop: Stop): Promise<void> {
  await checkDepth(folder, name, stop, 1);
  throwIfStopped(stop.signal, stop.shown);
  await removeEntry(folder, name, stop);
}

/** Throws the refusal when `name`, if it is a folder, holds one more than MAX_WALK_DEPTH down. */
async function checkDepth(folder: AnchoredDir, name: string, stop: Stop, depth: number): Promise<void> {
  // Opened no-follow, as the removal opens it: a link or a file is not walked (nor too deep).
  const inner = await folder.child(name).catch(() => undefined);
  if (!inner) return;
  try {
    if (depth > MAX_WALK_DEPTH) throw tooDeep(stop, false);
    throwIfStopped(stop.signal, stop.shown);
    for (const entry of await readdir(inner.at(''), { withFileTypes: true })) {
      if (entry.isDirectory()) await checkDepth(inner, entry.name, stop, depth + 1);
    }
  } finally {
    await inner.close();
  }
}

/** `depth`: how many folders down from the named entry `name` is (the entry itself is 1). */
async function removeEntry(folder: AnchoredDir, name: string, stop: Stop, depth = 1): Promise<void> {
  const info = await lstat(folder.at(name));
  if (info.isDirectory() && (await removeFolder(folder, name, stop, depth))) return;
  throwIfStopped(stop.signal, stop.shown);
  await folder.recheck();
  await unlink(folder.at(name)).catch(async (error: unknown) => {
    // It became a folder since the lstat (a concurrent writer): remove it as one.
    if (codeOf(error) !== 'EISDIR' || !(await removeFolder(folder, name, stop, depth))) throw error;
  });
}

/** `removing`: found during the removal (the tree grew after the walk), so some is gone already. */
const tooDeep = (stop: Stop, removing: boolean) =>
  new Error(
    `${stop.shown} has folders nested more than ${MAX_WALK_DEPTH} folders deep; file_delete ` +
      `${removing ? 'stopped there and left the rest' : 'removed nothing'}. Delete it with shell_exec: rm -rf ${stop.shown}`,
  );

/** False when `name` is no folder any more (it became a link or a file): unlink it instead. */
async function removeFolder(folder: AnchoredDir, name: string, stop: Stop, depth: number): Promise<boolean> {
  // Each level below keeps this one open (see depth.ts): a bounded number of them.
  if (depth > MAX_WALK_DEPTH) throw tooDeep(stop, true);
  // Opened no-follow: if it became a link since the lstat, the open fails.
  const inner = await folder.child(name).catch(() => undefined);
  if (!inner) return false;
  try {
    for (let pass = 1; ; pass++) {
      for (const entry of await readdir(inner.at(''))) {
        await removeEntry(inner, entry, stop, depth + 1).catch((error: unknown) => {
          if (codeOf(error) !== 'ENOENT') throw error; // gone already
        });
      }
      throwIfStopped(stop.signal, stop.shown);
      await folder.recheck();
      try {
        await rmdir(folder.at(name));
        return true;
      } catch (error) {
        // Something added an entry meanwhile: another pass, a bounded number of times.
        if (codeOf(error) !== 'ENOTEMPTY' || pass === MAX_PASSES) throw error;
      }
    }
  } finally {
    await inner.close();
  }
}
