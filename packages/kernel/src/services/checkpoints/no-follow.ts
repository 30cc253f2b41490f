/**
 * Changing one entry of the workspace (its mode, owner, or removing, creating or writing it) without ever
 * following a link, on the way to it or at it. A restore runs while sandboxed commands of other
 * turns may run too, and a folder of the path swapped for a link to `/etc` or `~/.ssh` between
 * our look and our change would have a chmod, a chown (as root) or an unlink land there.
 *
 * Linux: the entry's folder is pinned by an O_PATH descriptor (opened without following a link,
 * never opened for I/O) and accepted only when /proc says that descriptor is the folder at the
 * expected path, so no folder on the way was a link; the change then names the entry through
 * `/proc/self/fd/<n>/<name>`, which resolves in that very folder whatever is renamed meanwhile.
 * Elsewhere (no O_PATH, no /proc) every folder on the way is checked with lstat first: the same
 * refusal, with a window left between the check and the change.
 */
import { constants, existsSync, type Stats } from 'node:fs';
import {
  chmod,
  chown,
  type FileHandle,
  lchown,
  lstat,
  mkdir,
  open,
  readlink,
  rename,
  rmdir,
  symlink,
  unlink,
} from 'node:fs/promises';
import { join } from 'node:path';

// O_PATH (010000000 on every architecture Node runs on under Linux); not in fs.constants.
const O_PATH = 0o10000000;
const PINNED = process.platform === 'linux' && existsSync('/proc/self/fd');

/**
 * A folder of the workspace reached without a link, held for changes by name inside it: `at`
 * names an entry of that very folder whatever is renamed or swapped meanwhile. `close` lets go.
 */
export interface PinnedFolder {
  at(name: string): string;
  close(): Promise<void>;
}

/**
 * Pins the folder `dir` (workspace-relative, `/`-separated, `''` for the root). Undefined when a
 * folder on the way (or `dir` itself) is a link, not a folder, or gone. `root` must be a real
 * path (the store's `realpath`).
 */
export async function pinFolder(root: string, dir: string): Promise<PinnedFolder | undefined> {
  // Paths come from our own checkpoints; one that climbs (`..`) would pin a folder outside.
  if (dir !== '' && dir.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    return undefined;
  }
  const folder = dir === '' ? root : join(root, dir);
  if (!PINNED) {
    const parts = dir === '' ? [] : dir.split('/');
    for (let depth = 1; depth <= parts.length; depth++) {
      const info = await lstat(join(root, ...parts.slice(0, depth))).catch(() => undefined);
      if (!info?.isDirectory()) return undefined;
    }
    return { at: (name) => join(folder, name), close: async () => {} };
  }
  let handle: FileHandle;
  try {
    handle = await open(folder, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  if ((await readlink(`/proc/self/fd/${handle.fd}`).catch(() => '')) !== folder) {
    await handle.close();
    return undefined;
  }
  const base = `/proc/self/fd/${handle.fd}`;
  return { at: (name) => `${base}/${name}`, close: () => handle.close() };
}

/**
 * Runs `use` with a path naming the last component of `rel` (workspace-relative, `/`-separated)
 * in its folder, reached without a link. Undefined (and `use` not run) when a folder on the way
 * is a link, not a folder, or gone.
 */
async function inFolder<T>(
  root: string,
  rel: string,
  use: (path: string) => Promise<T>,
): Promise<T | undefined> {
  const cut = rel.lastIndexOf('/');
  const name = rel.slice(cut + 1);
  if (name === '' || name === '.' || name === '..') return undefined;
  const folder = await pinFolder(root, cut === -1 ? '' : rel.slice(0, cut));
  if (!folder) return undefined;
  try {
    return await use(folder.at(name));
  } finally {
    await folder.close();
  }
}

// A refused replacement: the name is a folder now (a file never replaces one), or not ours to use.
const IN_THE_WAY = new Set(['EISDIR', 'ENOTDIR', 'ENOTEMPTY', 'EEXIST']);

/**
 * Puts a file (`content`, given `mode` exactly) or a symlink (to `content`) at `name` in a pinned
 * folder, replacing a file or link there, never writing through one: it is written whole under
 * the fresh name `temporaryName` (created exclusively, so nothing there is followed; named in the
 * restore's journal, restore-journal.ts) and renamed over `name`, which replaces a link itself.
 * False when a folder stands at `name`.
 */
export async function replaceInFolder(
  folder: PinnedFolder,
  name: string,
  content: Buffer,
  kind: 'file' | 'symlink',
  mode: number,
  temporaryName: string,
): Promise<boolean> {
  const temporary = folder.at(temporaryName);
  if (kind === 'symlink') {
    await symlink(content, temporary);
  } else {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await open(temporary, flags, 0o600);
    try {
      await handle.writeFile(content);
      // Exactly the recorded mode, whatever the umask (fchmod: on this very file).
      await handle.chmod(mode);
    } catch (error) {
      await handle.close();
      await unlink(temporary).catch(() => {});
      throw error;
    }
    await handle.close();
  }
  try {
    await rename(temporary, folder.at(name));
    return true;
  } catch (error) {
    await unlink(temporary).catch(() => {});
    if (IN_THE_WAY.has((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
}

/** lstat of the entry, or undefined when it is missing or a link stands on the way to it. */
export function lstatNoFollow(root: string, rel: string): Promise<Stats | undefined> {
  return inFolder(root, rel, (path) => lstat(path).catch(() => undefined));
}

/** Removes a file or link; false when a link on the way stopped it. ENOENT is thrown as unlink does. */
export async function unlinkNoFollow(root: string, rel: string): Promise<boolean> {
  return (await inFolder(root, rel, (path) => unlink(path).then(() => true))) ?? false;
}

/** Removes an empty folder; false when it is not empty, gone, or a link stands on the way. */
export async function rmdirNoFollow(root: string, rel: string): Promise<boolean> {
  return (
    (await inFolder(root, rel, (path) =>
      rmdir(path).then(
        () => true,
        () => false,
      ),
    )) ?? false
  );
}

/** Creates a folder; false when a link stands on the way (EEXIST is thrown as mkdir does). */
export async function mkdirNoFollow(root: string, rel: string): Promise<boolean> {
  return (await inFolder(root, rel, (path) => mkdir(path).then(() => true))) ?? false;
}

/**
 * Gives an entry root owns (a file, a folder, a link itself) to `uid`/`gid`, checked and changed
 * on the one pinned entry. A file with another name too is left alone: a hard link to a root file
 * (`/etc/shadow`) put in its place would hand over that file. False when not done.
 */
export async function giveRootEntryNoFollow(
  root: string,
  rel: string,
  uid: number,
  gid: number,
): Promise<boolean> {
  const done = await inFolder(root, rel, async (path) => {
    const handle = PINNED ? await open(path, O_PATH | constants.O_NOFOLLOW) : undefined;
    try {
      const info = handle ? await handle.stat() : await lstat(path);
      if (info.uid !== 0 || (!info.isDirectory() && info.nlink > 1)) return false;
      // chown of an O_PATH descriptor's /proc entry changes that entry, a link itself included.
      if (handle) await chown(`/proc/self/fd/${handle.fd}`, uid, gid);
      else await lchown(path, uid, gid);
      return true;
    } finally {
      await handle?.close();
    }
  });
  return done ?? false;
}

/**
 * Sets a file's or folder's mode; false when it is a link now (chmod would change its target) or
 * a link stands on the way. A FIFO or device is never opened: O_PATH pins without opening.
 */
export async function chmodNoFollow(root: string, rel: string, mode: number): Promise<boolean> {
  const done = await inFolder(root, rel, async (path) => {
    if (!PINNED) {
      if ((await lstat(path)).isSymbolicLink()) return false;
      await chmod(path, mode);
      return true;
    }
    const handle = await open(path, O_PATH | constants.O_NOFOLLOW);
    try {
      if ((await handle.stat()).isSymbolicLink()) return false;
      await chmod(`/proc/self/fd/${handle.fd}`, mode);
      return true;
    } finally {
      await handle.close();
    }
  });
  return done ?? false;
}

/**
 * False when a file opened by `path` (without following a link at its end) was reached through a
 * link on the way: /proc names the file it is, and that must be `path` itself. A capture reads
 * nothing from outside the workspace, whatever a command swaps in between the listing and the
 * read. Elsewhere (no /proc) true: the listing's lstat is all there is.
 */
export async function openedAt(handle: FileHandle, path: string): Promise<boolean> {
  if (!PINNED) return true;
  return (await readlink(`/proc/self/fd/${handle.fd}`).catch(() => '')) === path;
}
