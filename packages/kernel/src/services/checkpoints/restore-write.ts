/**
 * Writing a checkpoint's files and symlinks into the workspace without ever following a link:
 * git only reads the blobs (blob-stream.ts), and each one is put in place through its folder,
 * pinned without a link on the way (no-follow.ts), written whole under a fresh name and renamed
 * over the path. `git checkout-index` checked the folders above a path and then opened it, in
 * one process: a folder swapped for a link in between (a command of another turn) had a new
 * file created through it, as root into `/etc/cron.d`.
 */
import { readBlobs } from './blob-stream.js';
import { compareStrings, isCode } from './fs-utils.js';
import type { Git } from './git.js';
import { mkdirNoFollow, type PinnedFolder, pinFolder, replaceInFolder } from './no-follow.js';
import { beginRestoreJournal } from './restore-journal.js';
import { isSymlink } from './tree-state.js';
import { CheckpointError, type GitEntry } from './types.js';

export interface EntryToWrite {
  readonly path: string;
  readonly entry: GitEntry;
  /** The file's permission bits (a symlink's are ignored). */
  readonly mode: number;
}

// Entries written at once: each holds a file and its pinned folder open while it is written, and
// its blob in memory.
const AT_ONCE = 16;

/**
 * Writes the entries; `refused`: a folder on the way is a link (or not a folder) now, or a folder
 * stands where the entry goes. Missing folders on the way are created (modes: the caller's).
 */
export async function writeEntries(
  git: Git,
  entries: readonly EntryToWrite[],
): Promise<{ written: string[]; refused: string[] }> {
  if (entries.length === 0) return { written: [], refused: [] };
  // Path order: the entries of one folder come together, so its pin is held briefly.
  const ordered = [...entries].sort((a, b) => compareStrings(a.path, b.path));
  const dirs = ordered.map((item) => split(item.path).dir);
  const folders = new Folders(git.workspace, dirs);
  const journal = await beginRestoreJournal(git.gitDir, dirs);
  const written: string[] = [];
  const refused: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const write = async (item: EntryToWrite, content: Buffer, index: number): Promise<void> => {
    const { dir, name } = split(item.path);
    try {
      const folder = await folders.get(dir);
      const kind = isSymlink(item.entry) ? 'symlink' : 'file';
      const done =
        folder !== undefined &&
        (await replaceInFolder(folder, name, content, kind, item.mode, journal.temporaryName(index)));
      (done ? written : refused).push(item.path);
    } finally {
      await folders.done(dir);
    }
  };
  let index = 0;
  try {
    for await (const blob of readBlobs(
      git,
      ordered.map((item) => item.entry.sha),
    )) {
      const item = ordered[index++];
      if (item?.entry.sha !== blob.sha)
        throw new CheckpointError(`git cat-file answered ${blob.sha} out of turn`);
      const task: Promise<void> = write(item, blob.content, index)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= AT_ONCE) await Promise.race(inFlight);
      if (failure) break;
    }
  } finally {
    // Never returns (nor throws) with a write still going on.
    await Promise.all(inFlight);
  }
  // On failure the journal stays: the next operation sweeps a temporary a failed write left.
  if (failure) throw failure.error;
  if (index !== ordered.length) throw new CheckpointError('git cat-file answered fewer blobs than asked');
  // Every write renamed its temporary into place: none left to sweep.
  await journal.end();
  return { written, refused };
}

function split(path: string): { dir: string; name: string } {
  const cut = path.lastIndexOf('/');
  return { dir: cut === -1 ? '' : path.slice(0, cut), name: path.slice(cut + 1) };
}

/** Pinned folders, each pinned once for all its entries and let go after its last one. */
class Folders {
  private readonly left = new Map<string, number>();
  private readonly pins = new Map<string, Promise<PinnedFolder | undefined>>();

  constructor(
    private readonly root: string,
    dirs: readonly string[],
  ) {
    for (const dir of dirs) this.left.set(dir, (this.left.get(dir) ?? 0) + 1);
  }

  get(dir: string): Promise<PinnedFolder | undefined> {
    let pin = this.pins.get(dir);
    if (!pin) {
      pin = this.pin(dir);
      this.pins.set(dir, pin);
    }
    return pin;
  }

  async done(dir: string): Promise<void> {
    const left = (this.left.get(dir) ?? 1) - 1;
    this.left.set(dir, left);
    if (left > 0) return;
    const pin = this.pins.get(dir);
    this.pins.delete(dir);
    await (await pin?.catch(() => undefined))?.close();
  }

  /** The folder, its missing folders made first (a restore puts back a deleted folder's files). */
  private async pin(dir: string): Promise<PinnedFolder | undefined> {
    const pinned = await pinFolder(this.root, dir);
    if (pinned || dir === '') return pinned;
    for (let cut = dir.indexOf('/'); ; cut = dir.indexOf('/', cut + 1)) {
      const made = await mkdirNoFollow(this.root, cut === -1 ? dir : dir.slice(0, cut)).catch(
        (error: unknown) => {
          if (isCode(error, 'EEXIST')) return true;
          throw error;
        },
      );
      // A link (or a file) on the way: nothing is made through it, the entries are refused.
      if (!made || cut === -1) break;
    }
    return pinFolder(this.root, dir);
  }
}
