/**
 * The temporary files of a restore, named before the first one is made. A restore writes each
 * file under a fresh name and renames it over its path (no-follow.ts), so a process killed in
 * between leaves that temporary in the user's folder. The journal (beside the store's lock) holds
 * the restore's name prefix and the folders it writes in; the next operation on the store holds
 * the same lock, so no restore is writing then, and removes exactly the files with that prefix in
 * those folders: never a file of the user's that merely looks like one.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pinFolder } from './no-follow.js';

const JOURNAL = 'restore-journal.json';
const PREFIX = /^\.oxydra-restore-[0-9a-f]{16}-$/;

export interface RestoreJournal {
  /** The name of a restore's `index`-th temporary file. */
  temporaryName(index: number): string;
  /** The restore finished (every write done or undone): nothing left to sweep. */
  end(): Promise<void>;
}

/** Records a restore about to write into `dirs` (workspace-relative, `''` the root). */
export async function beginRestoreJournal(gitDir: string, dirs: Iterable<string>): Promise<RestoreJournal> {
  const prefix = `.oxydra-restore-${randomBytes(8).toString('hex')}-`;
  const path = join(gitDir, JOURNAL);
  await writeFile(path, JSON.stringify({ prefix, dirs: [...new Set(dirs)] }));
  return {
    temporaryName: (index) => `${prefix}${index}`,
    end: () => rm(path, { force: true }),
  };
}

/** Removes what a restore killed mid-write left behind (call under the store's lock). */
export async function sweepRestoreLeftovers(gitDir: string, workspace: string): Promise<void> {
  const path = join(gitDir, JOURNAL);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const journal = parse(text);
  for (const dir of journal?.dirs ?? []) {
    // Through the folder pinned without a link: a folder swapped for a link is skipped, never
    // swept through into wherever it points.
    const folder = await pinFolder(workspace, dir);
    if (!folder) continue;
    try {
      const names = await readdir(folder.at('')).catch(() => []);
      for (const name of names) {
        if (!name.startsWith(journal!.prefix)) continue;
        const info = await lstat(folder.at(name)).catch(() => undefined);
        if (info?.isFile() || info?.isSymbolicLink()) await unlink(folder.at(name)).catch(() => {});
      }
    } finally {
      await folder.close();
    }
  }
  await rm(path, { force: true });
}

function parse(text: string): { prefix: string; dirs: string[] } | undefined {
  try {
    const value = JSON.parse(text) as { prefix?: unknown; dirs?: unknown };
    if (typeof value.prefix !== 'string' || !PREFIX.test(value.prefix) || !Array.isArray(value.dirs))
      return undefined;
    return { prefix: value.prefix, dirs: value.dirs.filter((dir): dir is string => typeof dir === 'string') };
  } catch {
    // Cut short by the crash itself: no temporary was made before it was whole.
    return undefined;
  }
}
