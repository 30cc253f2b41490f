/**
 * The temporary files of a restore, named before the first one is made. A restore writes each
 * file under a fresh name and renames it over its path (no-follow.ts), so a process killed in
 * between leaves that temporary in the user's folder. The journal (beside the store's lock) holds
 * the restore's name prefix and the folders it writes in; the next operation on the store holds
 * the same lock, so no restore is writing then, and removes exactly the files with that prefix in
 * those folders: never a file of the user's that merely looks like one (sweepRestoreLeftovers,
 * repository.ts, with the other leftovers of a crashed operation).
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RESTORE_JOURNAL } from './repository.js';

export interface RestoreJournal {
  /** The name of a restore's `index`-th temporary file. */
  temporaryName(index: number): string;
  /** The restore finished (every write done or undone): nothing left to sweep. */
  end(): Promise<void>;
}

/** Records a restore about to write into `dirs` (workspace-relative, `''` the root). */
export async function beginRestoreJournal(gitDir: string, dirs: Iterable<string>): Promise<RestoreJournal> {
  const prefix = `.oxydra-restore-${randomBytes(8).toString('hex')}-`;
  const path = join(gitDir, RESTORE_JOURNAL);
  await writeFile(path, JSON.stringify({ prefix, dirs: [...new Set(dirs)] }));
  return {
    temporaryName: (index) => `${prefix}${index}`,
    end: () => rm(path, { force: true }),
  };
}
