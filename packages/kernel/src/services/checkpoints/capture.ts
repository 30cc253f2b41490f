/**
 * Capturing the workspace as it is now: which files count (git's ignore rules decide, asked
 * once per capture), their blob shas and full modes, and its directories. A file whose lstat
 * stamp did not move since the last capture is neither read nor hashed (stat-cache.ts); the few
 * that changed are read here and written as loose objects, so one `git ls-files` is the only
 * process a capture starts (plus a `git check-ignore` when unknown folders appear), and none
 * when no folder changed since the last capture (listing-cache.ts).
 */
import type { BigIntStats } from 'node:fs';
import { constants, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimited } from '@oxydra/runtime';
import { DirectoryScanner } from './directories.js';
import { compareStrings, lstatIfPresent } from './fs-utils.js';
import type { Git } from './git.js';
import { type Listing, recordListing, reusableListing } from './listing-cache.js';
import { openedAt } from './no-follow.js';
import { writeObject } from './objects.js';
import { inSecretFolder, secretFoldersIn } from './secret-folders.js';
import { type CachedFile, cachedSha, fileSystemClock, type StatCache, statStamp } from './stat-cache.js';
import { type Capture, type ManifestEntry, TooManyFilesError } from './types.js';

// Never created: git reads a missing index as an empty one, so every file not ignored is listed.
const NO_INDEX = 'oxydra-no-index';
const HASH_CONCURRENCY = 16;
// A file that keeps changing type under us is left out of this capture after this many looks.
const ATTEMPTS = 3;

export interface CaptureResult {
  readonly capture: Capture;
  /** The stat cache this capture leaves for the next one. */
  readonly cache: Omit<StatCache, 'head'>;
}

interface Candidate {
  readonly path: string;
  info: BigIntStats;
}

export class WorkspaceCapture {
  private readonly directories: DirectoryScanner;
  private ignoreRules = '';

  constructor(
    private readonly workspace: string,
    private readonly git: Git,
    private readonly limits: { readonly maxFileBytes: number; readonly maxFiles: number },
    private readonly secretFolders: readonly string[],
  ) {
    this.directories = new DirectoryScanner(workspace, git);
  }

  async capture(previous: StatCache | undefined): Promise<CaptureResult> {
    const clockNs = fileSystemClock(this.git.gitDir);
    const reused = reusableListing(this.workspace, previous?.listing);
    const listing = reused ?? (await this.listFiles());
    // Before anything is read: the whole workspace or no capture at all, never a part of it
    // (a restore takes a checkpoint for the whole workspace, and would delete the rest).
    if (listing.paths.length > this.limits.maxFiles) {
      throw new TooManyFilesError(listing.paths.length, this.limits.maxFiles);
    }
    const skipped = new Set(listing.skipped);
    // The home folder's secrets, when the workspace holds it: never read, and (skipped now, there
    // or not) never put back by a restore of a checkpoint taken before this rule.
    const secret = [...secretFoldersIn(this.workspace), ...this.secretFolders];
    for (const folder of secret) skipped.add(`${folder}/`);
    const files = new Map<string, CachedFile>();
    const modes = new Map<string, number>();
    const toRead: Candidate[] = [];
    const ignoreRules: string[] = [];
    // Synchronous on purpose: a thousand lstat calls take ~3 ms in a loop, several times that
    // as promises, and the event loop is only held for that long.
    for (const path of listing.paths) {
      if (secret.length > 0 && inSecretFolder(path, secret)) continue;
      const info = lstatIfPresent(join(this.workspace, path));
      // Gone since the listing, or a folder, FIFO, socket or device now: never opened.
      if (!info || !(info.isFile() || info.isSymbolicLink())) continue;
      if (path === '.gitignore' || path.endsWith('/.gitignore'))
        ignoreRules.push(`${path}\0${statStamp(info)}`);
      if (info.isFile() && info.size > this.limits.maxFileBytes) {
        skipped.add(path);
        continue;
      }
      const sha = cachedSha(previous, path, info);
      if (sha) {
        files.set(path, { mode: gitMode(info), sha, stamp: statStamp(info) });
        modes.set(path, Number(info.mode & 0o7777n));
      } else {
        toRead.push({ path, info });
      }
    }
    await forEachLimited(toRead, HASH_CONCURRENCY, async (candidate) => {
      const read = await this.readCandidate(candidate);
      if (read === 'too-large') skipped.add(candidate.path);
      else if (read) {
        files.set(candidate.path, read);
        modes.set(candidate.path, Number(candidate.info.mode & 0o7777n));
      }
    });
    const rules = ignoreRules.join('\0');
    if (rules !== this.ignoreRules) this.directories.forgetIgnored();
    this.ignoreRules = rules;
    const dirs = await this.directories.scan(files.keys(), skipped, clockNs, {
      listings: previous?.directories,
      // Answers stand while every ignore file in the walked folders is as it was: the listing
      // kept holds exactly then (listing-cache.ts).
      ignored: reused ? previous?.ignoredDirs : undefined,
    });
    const fileEntries = [...modes].map(
      ([path, mode]): ManifestEntry => ({
        path,
        type: files.get(path)?.mode === '120000' ? 'symlink' : 'file',
        mode,
      }),
    );
    const entries = [...fileEntries, ...dirs].sort((a, b) => compareStrings(a.path, b.path));
    return {
      capture: {
        entries: files,
        manifest: { version: 1, entries, skipped: [...skipped].sort(compareStrings) },
      },
      cache: {
        clockNs,
        files,
        listing: reused
          ? previous?.listing
          : recordListing(this.workspace, listing, this.directories.walked(), clockNs),
        directories: this.directories.settled(),
        ignoredDirs: this.directories.ignoredAnswers(),
      },
    };
  }

  /**
   * Every file git would capture (not ignored), and nested repositories (listed by git as
   * `sub/`) and names that are not UTF-8 as skipped: git would record a nested repository as a
   * gitlink (restored as an empty folder), and a name is a string everywhere past this point.
   */
  private async listFiles(): Promise<Listing> {
    const { stdout } = await this.git.run(['ls-files', '-z', '--others', '--exclude-standard'], {
      indexFile: join(this.git.gitDir, NO_INDEX),
    });
    const paths: string[] = [];
    const skipped: string[] = [];
    for (let start = 0; start < stdout.length; ) {
      let end = stdout.indexOf(0, start);
      if (end === -1) end = stdout.length;
      const raw = stdout.subarray(start, end);
      const path = raw.toString('utf8');
      start = end + 1;
      if (path.endsWith('/') || !Buffer.from(path, 'utf8').equals(raw)) skipped.push(path);
      else paths.push(path);
    }
    return { paths, skipped };
  }

  /**
   * Reads and stores one changed file or symlink. A file is opened without following a symlink
   * and without blocking, and read only when the opened file is still the regular file lstat
   * saw, so a FIFO or device swapped in meanwhile is never read.
   */
  private async readCandidate(candidate: Candidate): Promise<CachedFile | 'too-large' | undefined> {
    const absolute = join(this.workspace, candidate.path);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { info } = candidate;
      const content = info.isSymbolicLink()
        ? readLink(absolute)
        : await readRegularFile(absolute, info, this.limits.maxFileBytes);
      if (content === 'too-large') return content;
      if (content) {
        const sha = await writeObject(this.git.gitDir, 'blob', content);
        // The stamp seen before reading: a change after it moves the stamp or is racy (stat-cache.ts).
        return { mode: gitMode(info), sha, stamp: statStamp(info) };
      }
      const again = lstatIfPresent(absolute);
      if (!again || !(again.isFile() || again.isSymbolicLink())) return undefined;
      candidate.info = again;
    }
    return undefined;
  }
}

function gitMode(info: BigIntStats): string {
  if (info.isSymbolicLink()) return '120000';
  return (info.mode & 0o100n) !== 0n ? '100755' : '100644';
}

function readLink(path: string): Buffer | undefined {
  try {
    return readlinkSync(path, { encoding: 'buffer' });
  } catch {
    return undefined;
  }
}

async function readRegularFile(
  path: string,
  expected: BigIntStats,
  maxBytes: number,
): Promise<Buffer | 'too-large' | undefined> {
  if (!expected.isFile()) return undefined;
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const handle = await open(path, flags).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const opened = await handle.stat({ bigint: true });
    if (!opened.isFile() || opened.ino !== expected.ino || opened.dev !== expected.dev) return undefined;
    // A folder on the way swapped for a link since the listing: a file outside, never read.
    if (!(await openedAt(handle, path))) return undefined;
    // It may grow while we read: read to the end, never past the size limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(
        Math.min(Math.max(Number(opened.size) + 1 - total, 64 * 1024), maxBytes + 1 - total),
      );
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return 'too-large';
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
