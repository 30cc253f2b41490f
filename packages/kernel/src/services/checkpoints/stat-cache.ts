/**
 * What the last capture learnt, kept in the checkpoint repository so the next process starts
 * warm (an `oxydra run` is a process of its own): for every captured file its lstat stamp and
 * blob sha, so a file whose stamp did not move is neither read nor hashed again (git's index
 * stat cache, in our own small format); and the tree state of the checkpoint it became.
 *
 * Racy files: a file modified in the same clock tick as the capture that recorded it could
 * change again without its mtime moving. So a capture first takes the file system's time (the
 * mtime of a file it writes) and a recorded stamp is trusted only for files whose mtime is
 * strictly older than that: anything written later, during the capture included, is read again.
 */

import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { readSmallFile } from '@oxydra/types/fs';
import { STORE_FILES } from './fs-utils.js';
import type { ListingCache } from './listing-cache.js';
import { parseManifest } from './tree-state.js';
import type { DirListing, GitEntry, TreeState } from './types.js';

const CACHE_FILE = STORE_FILES.captureCache;
const CLOCK_FILE = STORE_FILES.captureClock;
const FORMAT = 1;
/**
 * The cache's MAC, under the user's local key with the store's origin id (refs.ts storeMac): a
 * cache a `git pull` puts there (naming the stamps of files it changed with their old shas, or a
 * checkpoint's state that is not its own) would make a snapshot skip or mis-record a changed file.
 * Written first in the JSON, over the bytes after it (hashed where they lie: a cache of 100,000
 * files is some 20 MB); a cache whose MAC does not check is no cache.
 */
export type CacheMac = (bytes: Uint8Array) => string;
const SEAL = /^\{"mac":"([0-9a-f]{64})",/;
const SEAL_BYTES = '{"mac":"",'.length + 64;

export interface CachedFile extends GitEntry {
  /** lstat's identity of the content: inode, mode, size, mtime and ctime in nanoseconds. */
  readonly stamp: string;
}

export interface StatCache {
  /** The file system's time when the capture that wrote this began, in nanoseconds. */
  readonly clockNs: bigint;
  readonly files: ReadonlyMap<string, CachedFile>;
  /** What git listed, while the folders it walked stay as they were. */
  readonly listing?: ListingCache | undefined;
  /** The child folders of every folder the capture walked, while its stamp holds (directories.ts). */
  readonly directories?: ReadonlyMap<string, DirListing> | undefined;
  /** Folders beside the captured ones, ignored or not, while `listing` holds (directories.ts). */
  readonly ignoredDirs?: ReadonlyMap<string, boolean> | undefined;
  /** The checkpoint these files became, with its state (undefined after a capture for a diff). */
  readonly head?: { readonly commit: string; readonly state: TreeState };
}

export function statStamp(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.mode}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/** The recorded sha of a file, when its stamp is unchanged and was not racy when recorded. */
export function cachedSha(cache: StatCache | undefined, path: string, info: BigIntStats): string | undefined {
  const known = cache?.files.get(path);
  if (!cache || !known || info.mtimeNs >= cache.clockNs) return undefined;
  return known.stamp === statStamp(info) ? known.sha : undefined;
}

/** The file system's time now, as a file written now sees it (the clock mtimes are taken from). */
export function fileSystemClock(gitDir: string): bigint {
  const path = join(gitDir, CLOCK_FILE);
  // Truncated, as writing '' does (which moves its mtime); anything but a regular file standing
  // there is replaced by one.
  let fd = openRegularForWriting(path, constants.O_TRUNC);
  if (fd === undefined) {
    rmSync(path, { force: true });
    fd = openSync(path, WRITE_FLAGS | constants.O_EXCL, 0o644);
  }
  closeSync(fd);
  return lstatSync(path, { bigint: true }).mtimeNs;
}

// Opened for writing, created if missing, never through a link.
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;

/**
 * The store's own file opened for writing (with `flags` added), or undefined when something else
 * than a regular file stands there (a link, a FIFO: opened without blocking, never written).
 */
function openRegularForWriting(path: string, flags = 0): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, WRITE_FLAGS | constants.O_NONBLOCK | flags, 0o644);
  } catch {
    return undefined;
  }
  if (fstatSync(fd).isFile()) return fd;
  closeSync(fd);
  return undefined;
}

/**
 * The most a cache of `maxFiles` files is read: its rows name each file about four times (files,
 * listing, manifest, folder children) with a sha and a stamp, some 200 bytes and the path's
 * length four times over, so 1 KiB a file leaves room for paths of 200 characters on average.
 * A larger file (a cache of longer paths, or a planted sparse file of gigabytes) is not read at
 * all: the capture reads every file once, as without a cache.
 */
export function statCacheMaxBytes(maxFiles: number): number {
  return Math.max(maxFiles, 1024) * 1024;
}

/**
 * The cache left in `gitDir`, undefined when it is missing, damaged, over `maxBytes`, or not a
 * regular file (a link, a FIFO or a device a `git pull` put there: readSmallFile's rules).
 */
export function readStatCache(gitDir: string, maxBytes: number, mac: CacheMac): StatCache | undefined {
  const file = readSmallFile(join(gitDir, CACHE_FILE), { maxBytes });
  if (!file.ok) return undefined;
  const seal = SEAL.exec(file.bytes.subarray(0, SEAL_BYTES).toString('latin1'));
  if (!seal || mac(file.bytes.subarray(SEAL_BYTES)) !== seal[1]) return undefined;
  try {
    const data = JSON.parse(file.bytes.toString('utf8')) as {
      format?: unknown;
      clockNs?: unknown;
      files?: unknown;
      head?: { commit?: unknown; manifest?: unknown };
      listing?: unknown;
      directories?: unknown;
      ignoredDirs?: unknown;
    };
    if (data.format !== FORMAT || typeof data.clockNs !== 'string' || !Array.isArray(data.files))
      return undefined;
    const files = new Map<string, CachedFile>();
    for (const row of data.files as unknown[]) {
      if (!Array.isArray(row) || row.length !== 4 || !row.every((cell) => typeof cell === 'string')) continue;
      const [path, mode, sha, stamp] = row as string[];
      if (/^(100644|100755|120000)$/.test(mode ?? '') && /^[0-9a-f]{40}$/.test(sha ?? '')) {
        files.set(path!, { mode: mode!, sha: sha!, stamp: stamp! });
      }
    }
    const manifest = typeof data.head?.manifest === 'string' ? parseManifest(data.head.manifest) : undefined;
    const commit = typeof data.head?.commit === 'string' ? data.head.commit : undefined;
    const listing = parseListing(data.listing);
    const directories = parseDirectories(data.directories);
    const ignoredDirs = parseIgnored(data.ignoredDirs);
    return {
      clockNs: BigInt(data.clockNs),
      files,
      ...(listing ? { listing } : {}),
      ...(directories ? { directories } : {}),
      ...(ignoredDirs ? { ignoredDirs } : {}),
      ...(commit && manifest ? { head: { commit, state: { entries: files, manifest } } } : {}),
    };
  } catch {
    // Missing or damaged: the next capture reads every file once and writes a new one.
    return undefined;
  }
}

export function writeStatCache(gitDir: string, cache: StatCache, mac: CacheMac): void {
  const file = join(gitDir, CACHE_FILE);
  const data = {
    format: FORMAT,
    clockNs: String(cache.clockNs),
    files: [...cache.files].map(([path, entry]) => [path, entry.mode, entry.sha, entry.stamp]),
    ...(cache.listing
      ? {
          listing: {
            paths: cache.listing.paths,
            skipped: cache.listing.skipped,
            dirs: [...cache.listing.dirs],
            ignoreFiles: [...cache.listing.ignoreFiles],
          },
        }
      : {}),
    ...(cache.directories
      ? {
          directories: [...cache.directories].map(([dir, { stamp, children }]) => [dir, stamp, children]),
        }
      : {}),
    ...(cache.ignoredDirs ? { ignoredDirs: [...cache.ignoredDirs] } : {}),
    ...(cache.head
      ? { head: { commit: cache.head.commit, manifest: JSON.stringify(cache.head.state.manifest) } }
      : {}),
  };
  const rest = Buffer.from(JSON.stringify(data).slice(1));
  const text = Buffer.concat([Buffer.from(`{"mac":"${mac(rest)}",`), rest]);
  if (rewriteInPlace(file, text)) return;
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, text, { flag: 'wx' });
  renameSync(tmp, file);
}

/**
 * Rewrites the cache file in place rather than creating a new one and renaming it (two of the
 * costliest calls a snapshot makes): every reader and writer holds the store's lock (store.ts),
 * and a write cut short leaves JSON that does not parse, read as no cache at all. False, with
 * nothing written, when something else than a regular file stands there (a link, a FIFO).
 */
function rewriteInPlace(file: string, text: Uint8Array): boolean {
  const fd = openRegularForWriting(file);
  if (fd === undefined) return false;
  try {
    ftruncateSync(fd);
    writeFileSync(fd, text);
    return true;
  } finally {
    closeSync(fd);
  }
}

function parseListing(value: unknown): ListingCache | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { paths, skipped, dirs, ignoreFiles } = value as Record<string, unknown>;
  const strings = (list: unknown): list is string[] =>
    Array.isArray(list) && list.every((item) => typeof item === 'string');
  const pairs = (list: unknown): list is [string, string][] =>
    Array.isArray(list) && list.every((pair) => strings(pair) && pair.length === 2);
  if (!strings(paths) || !strings(skipped) || !pairs(dirs) || !pairs(ignoreFiles)) return undefined;
  return { paths, skipped, dirs: new Map(dirs), ignoreFiles: new Map(ignoreFiles) };
}

function parseDirectories(value: unknown): Map<string, DirListing> | undefined {
  if (!Array.isArray(value)) return undefined;
  const listings = new Map<string, DirListing>();
  // Names as readdir gave them: never a way out of the folder (nor into a repository).
  const name = (child: unknown) =>
    typeof child === 'string' && !/^(|\.|\.\.|\.git)$/.test(child) && !/[/\0]/.test(child);
  for (const row of value as unknown[]) {
    if (!Array.isArray(row) || row.length !== 3) return undefined;
    const [dir, stamp, children] = row as unknown[];
    if (typeof dir !== 'string' || typeof stamp !== 'string' || !Array.isArray(children)) return undefined;
    if ((dir !== '' && !safeFolder(dir)) || !children.every(name)) return undefined;
    listings.set(dir, { stamp, children });
  }
  return listings;
}

function parseIgnored(value: unknown): Map<string, boolean> | undefined {
  if (!Array.isArray(value)) return undefined;
  const answers = new Map<string, boolean>();
  for (const row of value as unknown[]) {
    if (!Array.isArray(row) || row.length !== 2) return undefined;
    const [path, ignored] = row as unknown[];
    if (typeof path !== 'string' || typeof ignored !== 'boolean') return undefined;
    if (!safeFolder(path)) return undefined;
    answers.set(path, ignored);
  }
  return answers;
}

/** A workspace-relative folder as a scan names it: never one that climbs out or is empty. */
function safeFolder(path: string): boolean {
  return !path.split('/').some((part) => /^(|\.|\.\.)$/.test(part) || part.includes('\0'));
}
