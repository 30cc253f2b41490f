/**
 * The list of files git would capture, kept from one capture to the next (git's untracked
 * cache, in our own words), so a snapshot after edits to existing files starts no process.
 * What git lists depends only on the names inside the folders it walks and on the ignore
 * files there: a name added, removed or renamed moves its folder's mtime, and an edit to a
 * `.gitignore` moves that file's. So the list holds while every walked folder (and every nested
 * repository, listed as `sub/`) and every `.gitignore` in them has the stamp it had, and each
 * of those stamps is older than the clock of the capture that made the list (racy, as for files:
 * a folder changed in the same tick as the listing is listed again).
 */
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { lstatIfPresent } from './fs-utils.js';

export interface Listing {
  readonly paths: readonly string[];
  /** Nested repositories (`sub/`) and names that are not UTF-8, as the listing found them. */
  readonly skipped: readonly string[];
}

export interface ListingCache extends Listing {
  /** Folder (`''` for the root) → stamp; nested repositories with their trailing `/`. */
  readonly dirs: ReadonlyMap<string, string>;
  /** Every `.gitignore` in a walked folder → stamp. */
  readonly ignoreFiles: ReadonlyMap<string, string>;
}

function dirStamp(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.mtimeNs}:${info.ctimeNs}`;
}

const ignoreFileOf = (dir: string) => (dir === '' ? '.gitignore' : `${dir}/.gitignore`);

/** The cached listing when nothing it depends on moved, else undefined (list again). */
export function reusableListing(workspace: string, cache: ListingCache | undefined): Listing | undefined {
  if (!cache) return undefined;
  let ignoreFiles = 0;
  for (const [dir, stamp] of cache.dirs) {
    const info = lstatIfPresent(join(workspace, dir));
    if (!info?.isDirectory() || dirStamp(info) !== stamp) return undefined;
    if (dir.endsWith('/')) continue;
    const rules = lstatIfPresent(join(workspace, ignoreFileOf(dir)));
    if (!rules) continue;
    if (cache.ignoreFiles.get(ignoreFileOf(dir)) !== dirStamp(rules)) return undefined;
    ignoreFiles++;
  }
  return ignoreFiles === cache.ignoreFiles.size ? cache : undefined;
}

/**
 * Records a listing with the folders the capture walked, or undefined when one of them (or an
 * ignore file) changed at or after `clockNs`, the clock taken before listing.
 */
export function recordListing(
  workspace: string,
  listing: Listing,
  walked: Iterable<string>,
  clockNs: bigint,
): ListingCache | undefined {
  const dirs = new Map<string, string>();
  const ignoreFiles = new Map<string, string>();
  const settled = (info: BigIntStats) => info.mtimeNs < clockNs && info.ctimeNs < clockNs;
  const nested = listing.skipped.filter((path) => path.endsWith('/'));
  for (const dir of [...walked, ...nested]) {
    const info = lstatIfPresent(join(workspace, dir));
    if (!info?.isDirectory() || !settled(info)) return undefined;
    dirs.set(dir, dirStamp(info));
    if (dir.endsWith('/')) continue;
    const rules = lstatIfPresent(join(workspace, ignoreFileOf(dir)));
    if (!rules) continue;
    if (!settled(rules)) return undefined;
    ignoreFiles.set(ignoreFileOf(dir), dirStamp(rules));
  }
  return { paths: listing.paths, skipped: listing.skipped, dirs, ignoreFiles };
}
