/** Small file-system helpers of the checkpoint store. */
import type { BigIntStats } from 'node:fs';
import { lstatSync } from 'node:fs';
import { lstat, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSmallFile } from '@oxydra/types/fs';

/**
 * The names Oxydra's checkpoint store writes in its git dir beside git's own (and the origin
 * record, store/state-origin.ts): each writer joins its name from here, and verifyRepository
 * (repository.ts) allows these and refuses any name Oxydra never writes, so a new file is one
 * line here, not a name kept twice. Here because every module that writes one loads this one.
 */
export const STORE_FILES = {
  /** The store's lock (store.ts, lock.ts). */
  lock: 'oxydra.lock',
  /** The branch's record (refs.ts). */
  headRecord: 'oxydra-head',
  /** One mark per running turn, a folder (active-runs.ts). */
  activeRuns: 'active-runs',
  /** The capture's stat cache and its clock (stat-cache.ts). */
  captureCache: 'oxydra-capture-cache.json',
  captureClock: 'oxydra-capture-clock',
  /** A restore under way (restore-journal.ts). */
  restoreJournal: 'restore-journal.json',
} as const;

export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** The most any of the store's own small files (config, a mark, the lock, a ref, the restore journal) is read. */
const STORE_FILE_MAX_BYTES = 1 << 20;

/**
 * The text of one of the store's own small files, undefined when it is missing or is not a
 * regular file of at most STORE_FILE_MAX_BYTES. Files inside checkpoints.git can be put there by
 * a `git pull` into the workspace (git writes links): a link to a FIFO made readFile wait
 * forever, one to /dev/zero read until memory ran out. readSmallFile never follows a link and
 * never waits on a FIFO.
 */
export function readStoreFile(path: string): string | undefined {
  const file = readSmallFile(path, { maxBytes: STORE_FILE_MAX_BYTES });
  return file.ok ? file.bytes.toString('utf8') : undefined;
}

export async function writeIfDifferent(path: string, content: string): Promise<void> {
  if (readStoreFile(path) === content) return;
  // Whole or not at all: a half-written git config or attributes file would break every call.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

/** Every non-directory under `dir` (workspace-relative), without following symlinks. */
export async function listFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const child of await readdir(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${child.name}`;
    if (child.isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push(path);
  }
  return out;
}

export function depthOf(path: string): number {
  return path.split('/').length;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}

/**
 * lstat, or undefined when nothing is at `path`: also when a folder on the way became a file
 * (ENOTDIR), which `throwIfNoEntry: false` still throws for. A workspace changes between two
 * captures in every way, `x/y` included once `x` is a file.
 */
export function lstatIfPresent(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch (error) {
    if (isCode(error, 'ENOTDIR')) return undefined;
    throw error;
  }
}
