/**
 * Restoring a checkpoint into a copy of the workspace (a replay's scratch folder) instead of the
 * workspace itself. The copy gets a store of its own that borrows the workspace store's objects
 * (git alternates: read, never written), and that store's restore makes the copy equal to the
 * checkpoint by the rules of `oxydra checkpoints restore`: what the checkpoint holds (files,
 * symlinks as symlinks, modes, empty folders, files deleted since) is put back, and what it never
 * captures (ignored files, files over the size limit, nested repositories, `.git`, `.oxydra`)
 * stays as the copy has it. The restore writes only inside the copy, never through a link
 * (restore-write.ts). The borrowed store is removed afterwards.
 */
import { lstat, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointGitDir } from './git.js';
import { secretFoldersIn } from './secret-folders.js';
import { CheckpointStore } from './store.js';
import { CheckpointError, type CheckpointStoreOptions, type RestoreReport } from './types.js';

export async function restoreCopy(
  source: CheckpointStore,
  commit: string,
  copy: string,
  options: CheckpointStoreOptions = {},
): Promise<RestoreReport> {
  const oxydra = join(copy, '.oxydra');
  const present = await lstat(oxydra).catch(() => undefined);
  // A `.oxydra` symlink copied from the workspace would take the borrowed store outside the copy.
  if (present && !present.isDirectory()) {
    throw new CheckpointError(`${oxydra} is not a folder: the copy cannot hold a checkpoint store`);
  }
  const gitDir = checkpointGitDir(copy);
  if (await lstat(gitDir).catch(() => undefined)) {
    throw new CheckpointError(`${gitDir} exists: a copy to restore into holds no checkpoint store`);
  }
  // One path per line in the alternates file: a newline in it would name another folder.
  const objects = join(source.gitDir, 'objects');
  if (/[\r\n]/.test(objects)) throw new CheckpointError(`unusable checkpoint store path: ${objects}`);
  try {
    // The original's secret folders: the copy lies outside the home folder, so its own capture
    // would not know them, and a checkpoint taken before they were left out still holds them.
    const store = await CheckpointStore.open(copy, {
      ...options,
      secretFolders: secretFoldersIn(source.workspace),
      // Listed through the source, which checks its own store and branch first.
      borrow: { objects, head: (await source.list(1))[0]?.id },
    });
    return await store.restore(commit);
  } finally {
    await rm(gitDir, { recursive: true, force: true });
    if (!present) await rmdir(oxydra).catch(() => {});
  }
}
