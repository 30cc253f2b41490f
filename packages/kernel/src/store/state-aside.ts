/**
 * Setting aside state that did not come from this user (state-origin.ts decides that): moved, not
 * deleted, so the user can look at it and adopt it back (state-adopt.ts). And the lock a claim
 * takes to set aside or make state, so that processes opening one workspace at once do it one at
 * a time. Apart from the claim because a run whose state is its own (nearly every run) never
 * calls either.
 */
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError, visibleLine } from '@oxydra/types';

/**
 * A claim holds its lock a few milliseconds (a rename, a small file made and linked); one older
 * than this was left by a claimer that died, and is taken over.
 */
const STALE_LOCK_MS = 5000;
/** Between two looks at a lock another claimer holds. */
const LOCK_POLL_MS = 5;

/**
 * Runs `work` holding the claim lock of the state at `path`: a folder `<path>.claiming` beside it,
 * which mkdir either makes or finds there, atomically; removed when `work` is done.
 */
export function underClaimLock<T>(path: string, work: () => T): T {
  const lock = `${path}.claiming`;
  mkdirSync(dirname(path), { recursive: true });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; ; waited += LOCK_POLL_MS) {
    try {
      mkdirSync(lock, { mode: 0o700 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UsageError(`cannot claim ${path}: ${(error as Error).message}`, {
          hint: `make ${dirname(path)} writable for you`,
        });
      }
    }
    if (waited >= STALE_LOCK_MS || !heldByAClaimer(lock)) {
      try {
        rmSync(lock, { recursive: true, force: true });
      } catch (error) {
        throw new UsageError(`cannot take over ${lock}: ${(error as Error).message}`, {
          hint: `remove it if no Oxydra is opening this workspace: rm -r ${lock}`,
        });
      }
      waited = 0;
      continue;
    }
    Atomics.wait(pause, 0, 0, LOCK_POLL_MS);
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Whether `lock` is one a claimer of this user holds: an empty folder of ours made less than
 * STALE_LOCK_MS ago. Anything else is taken over at once: what a repository or an archive put
 * there (git cannot ship an empty folder, so it holds a file) made the first command in a fresh
 * clone wait STALE_LOCK_MS per state file. Gone meanwhile: its holder let go (judged held, so the
 * next look tries to make it).
 */
function heldByAClaimer(lock: string): boolean {
  try {
    const info = lstatSync(lock);
    const uid = process.getuid?.();
    return (
      info.isDirectory() &&
      (uid === undefined || info.uid === uid) &&
      Date.now() - info.mtimeMs < STALE_LOCK_MS &&
      readdirSync(lock).length === 0
    );
  } catch {
    // Gone between two looks (its holder let go), or unreadable: the next mkdir decides.
    return true;
  }
}

/** Files that belong with a state file and move aside with it (libSQL's WAL and journal, the audit head): a journal left beside a fresh file would be rolled back into it. */
const COMPANIONS: Readonly<Record<string, readonly string[]>> = {
  'kernel.db': ['kernel.db-wal', 'kernel.db-shm', 'kernel.db-journal', 'audit-head.json', 'audit.jsonl'],
  'memory.db': ['memory.db-wal', 'memory.db-shm', 'memory.db-journal'],
  'channels.db': ['channels.db-wal', 'channels.db-shm', 'channels.db-journal'],
};

/**
 * Renames foreign state at `path` to `<path>.untrusted-<time>` with its companions (never
 * deleting anything), removes the sidecar `record` beside it that vouched for what was there,
 * and says so (on stderr unless `warn` is given), with the way to adopt it back.
 */
export function setAside(path: string, why: string, record: string, warn?: (message: string) => void): void {
  const name = basename(path);
  const folder = dirname(path);
  const stamp = freeStamp(folder, [name, ...(COMPANIONS[name] ?? [])]);
  const aside = `${path}.untrusted-${stamp}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    throw new UsageError(
      `${path} did not come from you (${why}) and cannot be moved aside: ${(error as Error).message}`,
      { hint: `move it away yourself (mv ${path} ${aside}); Oxydra then makes a fresh one` },
    );
  }
  for (const companion of COMPANIONS[name] ?? []) {
    try {
      renameSync(join(folder, companion), `${join(folder, companion)}.untrusted-${stamp}`);
    } catch {
      // not there: nothing to move
    }
  }
  rmSync(record, { force: true });
  // The path is the folder's, whoever named it (an archive, a repository): controls written out.
  const say = warn ?? ((message: string) => process.stderr.write(`oxydra: ${visibleLine(message)}\n`));
  say(
    `set aside ${path} as ${basename(aside)}: ${why}, so nothing in it (tokens, schedules, budgets, approvals, notes, git config) is used; a fresh one starts. If it is yours, move it back and run \`oxydra trust --adopt-state\``,
  );
}

/**
 * The time to name a set-aside by (to the second), with `-2`, `-3`... when that name is taken for
 * any of `names`: a rename replaces what has the name, so a second set-aside in the same second
 * had put its file over the first (kept, as every set-aside must be). Callers hold the claim lock,
 * so nobody takes the name between this look and their rename.
 */
function freeStamp(folder: string, names: readonly string[]): string {
  const second = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  for (let count = 1; ; count += 1) {
    const stamp = count === 1 ? second : `${second}-${count}`;
    // lstat: a link there (even a dangling one) takes the name too.
    const taken = (name: string) =>
      lstatSync(join(folder, `${name}.untrusted-${stamp}`), { throwIfNoEntry: false }) !== undefined;
    if (!names.some(taken)) return stamp;
  }
}
