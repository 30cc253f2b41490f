/**
 * Setting aside state that did not come from this user (state-origin.ts decides that): moved, not
 * deleted, so the user can look at it and adopt it back (state-adopt.ts). Apart from the claim
 * because a run whose state is its own (nearly every run) never calls it.
 */
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError, visibleLine } from '@oxydra/types';

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
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const aside = `${path}.untrusted-${stamp}`;
  const name = basename(path);
  const folder = dirname(path);
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
