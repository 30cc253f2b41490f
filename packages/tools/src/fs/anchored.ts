/**
 * Using what was checked, not whatever the path names by the time of use. A concurrent writer
 * (a command, another tool call) can swap a checked folder for a symbolic link, or a file for a
 * FIFO, between the path check and the open. So:
 *
 * - every open is no-follow (a link in the last place is refused, ELOOP) and non-blocking (a
 *   FIFO opens at once instead of holding a thread-pool thread until a writer comes), and what
 *   was opened is fstat'ed and refused unless it is a regular file (or a directory to list);
 * - the real path of what was opened is asked of the kernel and checked again, which catches a
 *   link swapped into any earlier part of the path;
 * - names are then created, renamed and removed relative to an opened directory. Node has no
 *   openat, but on Linux `/proc/self/fd/<fd>/<name>` resolves <name> inside the directory the
 *   descriptor holds, wherever that directory is now: a link swapped in after the check is never
 *   followed. Without /proc (macOS) the directory's real path is re-checked immediately before
 *   each commit instead, which narrows the window to microseconds but cannot close it.
 */
import type { Stats } from 'node:fs';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  open as openCallback,
  read as readCallback,
  readlinkSync,
  readSync,
} from 'node:fs';
import { type FileHandle, lstat, mkdir, open, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { giveTo, ownerFor } from './ownership.js';

// Not defined on Windows, where none of this applies; 0 leaves the other flags working.
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY = 0, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = constants;

const READ_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
const DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;
/** A new file only (a temporary one): never an existing name, never through a link. */
export const CREATE_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK;

/** The kernel names open descriptors under /proc/self/fd (Linux with /proc mounted). */
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd');

/** What a path checked against the workspace policy can confirm (a ResolvedPath). */
export interface Checked {
  /** Where the path was when checked, links followed. */
  real: string;
  /** For messages. */
  relative: string;
  /** Throws unless `real` is still a place this path may be. */
  confirm(real: string): void;
}

/** Where an open descriptor really is; without /proc, its path resolved again (a re-check). */
async function whereOpened(fd: number, path: string): Promise<string> {
  if (!PROC_FD) return realpath(path);
  // A file or folder removed meanwhile is shown with this suffix; where it was is what counts.
  // Synchronous: /proc answers from the kernel's memory (no disk), and a thread-pool round trip
  // would cost ten times the call.
  return readlinkSync(`/proc/self/fd/${fd}`).replace(/ \(deleted\)$/, '');
}

export function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'FIFO';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice()) return 'character device';
  if (info.isBlockDevice()) return 'block device';
  if (info.isSymbolicLink()) return 'symbolic link';
  return info.isDirectory() ? 'directory' : 'file';
}

export const notRegular = (shown: string, info: Stats): Error =>
  new Error(`not a regular file (${kindOf(info)}): ${shown}; file tools read and write regular files only`);

/** Reads up to `length` bytes into `buffer` at `offset`, from `position` in the file; the count read. */
export type ReadAt = (
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
) => number | Promise<number>;

/** A file opened for reading (openForReading): its descriptor, fstat, a reader, and `close`, to call once. */
export interface OpenedFile {
  fd: number;
  info: Stats;
  read: ReadAt;
  close(): void;
}

/**
 * Reads that end within this many bytes of a file are made synchronously once it is open: a
 * small read of a local file is a few microseconds of the main thread, where each thread-pool
 * round trip costs tens (a file_read made four: open, fstat, read, close). Larger reads go
 * through the thread pool, so a big or slow file never holds the event loop for long.
 */
export const SYNC_READ_MAX_BYTES = 256 * 1024;

const openDescriptor = (path: string, flags: number): Promise<number> =>
  new Promise((resolve, reject) => {
    openCallback(path, flags, (error, fd) => (error ? reject(error) : resolve(fd)));
  });

const readDescriptor = (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) => {
    readCallback(fd, buffer, offset, length, position, (error, bytesRead) =>
      error ? reject(error) : resolve(bytesRead),
    );
  });

/**
 * The checked file, opened and confirmed to be a regular file still inside the allowed places.
 * `onDirectory` is the message for a directory (which tool to use instead).
 *
 * The open goes through the thread pool: it is the call that waits on a slow or network
 * filesystem (lookups, permissions). The descriptor is then used synchronously where that is
 * cheap: fstat and the /proc lookup of where it is (answered from the kernel's memory), close,
 * and reads ending within SYNC_READ_MAX_BYTES (at most one disk read when the file is not
 * cached). A raw descriptor rather than a FileHandle: closing a FileHandle's descriptor behind
 * its back would let its finalizer close a later file that reuses the number.
 */
export async function openRegularFile(target: Checked, onDirectory: string): Promise<OpenedFile> {
  const file = await openForReading(target.real);
  try {
    if (file.info.isDirectory()) throw new Error(onDirectory);
    if (!file.info.isFile()) throw notRegular(target.relative, file.info);
    target.confirm(await whereOpened(file.fd, target.real));
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/**
 * `path` opened no-follow and non-blocking (whatever it is: the caller checks `info`), read and
 * closed as openRegularFile describes.
 */
export async function openForReading(path: string): Promise<OpenedFile> {
  const fd = await openDescriptor(path, READ_FLAGS);
  let info: Stats;
  try {
    info = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let closed = false;
  return {
    fd,
    info,
    read: (buffer, offset, length, position) =>
      position + length <= SYNC_READ_MAX_BYTES
        ? readSync(fd, buffer, offset, length, position)
        : readDescriptor(fd, buffer, offset, length, position),
    close: () => {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

/**
 * Up to `maxBytes` of an open file of `size` bytes (its fstat). One byte more means it is larger
 * (it grew since the check), and `tooLarge` is thrown rather than reading on without bound.
 */
export async function readCapped(
  read: ReadAt,
  size: number,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  // Sized by the fstat, not the cap: a small file must not cost a cap-sized allocation.
  let buffer = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) throw tooLarge();
      const grown = Buffer.allocUnsafe(Math.min(length * 2, maxBytes + 1));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const wanted = buffer.length - length;
    const bytesRead = await read(buffer, length, wanted, length);
    if (bytesRead === 0) return buffer.subarray(0, length);
    length += bytesRead;
    // Everything the fstat counted arrived and the byte asked for beyond it did not: the end
    // (without the extra read that would only say so).
    if (bytesRead < wanted && length >= size && length <= maxBytes) return buffer.subarray(0, length);
  }
}

// ELOOP: what a no-follow open says of a link, so describeFsError (below) words both the same.
const changed = (real: string) =>
  Object.assign(new Error(`a folder moved during the call: ${real}`), { code: 'ELOOP' });
const linkAppeared = (real: string) =>
  Object.assign(new Error(`a symbolic link took the place of a checked folder: ${real}`), { code: 'ELOOP' });

/** An opened directory: names inside it are reached through it, not through its path. */
export class AnchoredDir {
  private constructor(
    readonly handle: FileHandle,
    /** Its real path when opened: for messages and for the re-check without /proc. */
    readonly real: string,
  ) {}

  /** Opens the directory at `real` (links in earlier parts followed) and confirms where it landed. */
  static async open(real: string, confirm: (real: string) => void): Promise<AnchoredDir> {
    const handle = await open(real, DIRECTORY_FLAGS).catch(async (error: NodeJS.ErrnoException) => {
      // O_DIRECTORY|O_NOFOLLOW on a link says ENOTDIR; say what happened instead.
      if (error.code === 'ENOTDIR' && (await lstat(real).catch(() => undefined))?.isSymbolicLink()) {
        throw linkAppeared(real);
      }
      throw error;
    });
    try {
      confirm(await whereOpened(handle.fd, real));
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new AnchoredDir(handle, real);
  }

  /** The path of `name` inside this directory, for any fs call ('' for the directory itself). */
  at(name: string): string {
    const base = PROC_FD ? `/proc/self/fd/${this.handle.fd}` : this.real;
    return name === '' ? base : join(base, name);
  }

  /** The subdirectory `name` (made first when `create`), never through a link. */
  async child(name: string, create = false): Promise<AnchoredDir> {
    let made = false;
    if (create) {
      made = await mkdir(this.at(name)).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
          return false;
        },
      );
    }
    const child = new AnchoredDir(await open(this.at(name), DIRECTORY_FLAGS), join(this.real, name));
    // A folder made as root belongs to whoever owns the folder it was made in (ownership.ts).
    if (made) await giveTo(child.handle, await ownerFor(this.handle, undefined));
    return child;
  }

  /** Just before a commit (rename, unlink): without /proc, the directory must not have moved. */
  async recheck(): Promise<void> {
    if (!PROC_FD && (await realpath(this.real)) !== this.real) throw changed(this.real);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** File-system errors in words a model can act on, naming the workspace path rather than the host's. */

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOTEMPTY: 'directory not empty',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  // Opens are no-follow after the path check (above): a link there now was put there
  // by something else during the call.
  ELOOP: 'changed during the call (a symbolic link took the place of a checked file or folder); try again',
  // What opening a Unix socket gives.
  ENXIO: 'not a regular file (a socket or a device); file tools read and write regular files only',
};

/** `error` with a readable message when it is a known fs error (to throw instead); else `error` itself. */
export function describeFsError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  return reason === undefined ? (error as Error) : new Error(`${reason}: ${path}`, { cause: error });
}

/** Reading a workspace file as UTF-8 text, refusing what is not text. */

/** Larger files are refused rather than loaded whole: searching or the shell suits them better. */
const MAX_TEXT_FILE_BYTES = 32 * 1024 * 1024;

/** Keeps a byte-order mark in the string, so an edit writes the file back with it. */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The file's text. Binary content (a NUL byte) and invalid UTF-8 are refused with a message,
 * since handing the model mojibake wastes its context and invites corrupting edits. A FIFO,
 * device or socket is refused at once (see openRegularFile), never waited on.
 */
export async function readTextFile(target: Checked, tool: string): Promise<string> {
  const shown = target.relative;
  let bytes: Buffer;
  try {
    // One handle for the checks and the read: the file checked is the file read.
    const file = await openRegularFile(target, `${shown} is a directory; list it with file_list`);
    const { info } = file;
    try {
      const tooLarge = (size: string) =>
        new Error(
          `${shown} is ${size} bytes; ${tool} handles text files up to ${MAX_TEXT_FILE_BYTES} bytes ` +
            '(use file_search to find the part you need)',
        );
      if (info.size > MAX_TEXT_FILE_BYTES) throw tooLarge(String(info.size));
      // It may grow after the fstat: read at most one byte past the cap.
      bytes = await readCapped(file.read, info.size, MAX_TEXT_FILE_BYTES, () =>
        tooLarge(`over ${MAX_TEXT_FILE_BYTES}`),
      );
    } finally {
      file.close();
    }
  } catch (error) {
    throw describeFsError(error, shown);
  }
  if (bytes.includes(0)) {
    throw new Error(
      `${shown} looks like a binary file (it contains NUL bytes); ${tool} works on UTF-8 text only`,
    );
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new Error(
      `${shown} is not valid UTF-8 text (binary or another encoding); ${tool} works on UTF-8 text only`,
    );
  }
}
