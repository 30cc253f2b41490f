/**
 * A log file a daemon appends to, capped in size: when a line would take it past `maxBytes`, it
 * is renamed to `<name>.1` (the older `.1` to `.2`, up to `keep` old files, the oldest dropped)
 * and a new one is started, so a long-running daemon never fills the disk. Several daemons may
 * append to one file (O_APPEND keeps each line whole); each checks before a write that the path
 * is still the file it holds, and reopens it when another one rotated it.
 *
 * The file is private (0600, its folder 0700) and opened without following a link: a link or a
 * hard link planted at the path (by whoever can write the folder) is refused, never written
 * through, since a daemon running as root would otherwise append to a file of the planter's
 * choosing. Writes are synchronous: a log line is small, and the order of lines is kept.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export interface RotatingLogOptions {
  /** Rotate before a line would make the file larger than this. */
  maxBytes: number;
  /** Rotated files kept beside it (`.1` newest). */
  keep: number;
  /** The first line of each file a rotation starts (what it says of the one moved aside). */
  rotated?: () => string;
}

/** Rotated copies of a log, newest first: `<path>.1`, `<path>.2`, ... */
export function rotatedLogPaths(path: string, keep: number): string[] {
  return Array.from({ length: keep }, (_, index) => `${path}.${index + 1}`);
}

/** The folder, created private, and refused when it is a link or others may write it. */
function ensurePrivateFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const stat = lstatSync(folder);
  if (!stat.isDirectory()) throw new Error(`${folder} is not a folder (a symbolic link?)`);
  const euid = process.geteuid?.();
  if (euid !== undefined && stat.uid === euid && (stat.mode & 0o077) !== 0) chmodSync(folder, 0o700);
  else if ((stat.mode & 0o022) !== 0) throw new Error(`${folder} may be written by other users`);
}

export class RotatingLogFile {
  #fd: number | undefined;
  #inode = -1;

  private constructor(
    readonly path: string,
    readonly options: RotatingLogOptions,
  ) {}

  /** Opens (creating) the log; throws when the path or its folder is not safe to write. */
  static open(path: string, options: RotatingLogOptions): RotatingLogFile {
    ensurePrivateFolder(dirname(path));
    const log = new RotatingLogFile(path, options);
    log.#reopen();
    return log;
  }

  #reopen(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    const flags =
      constants.O_WRONLY |
      constants.O_APPEND |
      constants.O_CREAT |
      constants.O_NOFOLLOW |
      constants.O_NONBLOCK;
    let fd: number;
    try {
      fd = openSync(this.path, flags, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP')
        throw new Error(`${this.path} is a symbolic link: refusing to write through it`);
      throw error;
    }
    const stat = fstatSync(fd);
    const euid = process.geteuid?.();
    const problem = !stat.isFile()
      ? 'is not a regular file'
      : stat.nlink !== 1
        ? 'has other hard links'
        : euid !== undefined && stat.uid !== euid
          ? 'belongs to another user'
          : undefined;
    if (problem !== undefined) {
      closeSync(fd);
      throw new Error(`${this.path} ${problem}: refusing to write to it`);
    }
    if ((stat.mode & 0o077) !== 0) chmodSync(this.path, 0o600);
    this.#fd = fd;
    this.#inode = stat.ino;
  }

  /** Appends `text` (whole lines, or a stream's bytes as they come), rotating first when it would not fit. */
  write(text: string | Uint8Array): void {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    const current = lstatOrUndefined(this.path);
    if (current?.ino !== this.#inode) this.#reopen(); // rotated (or removed) by someone else
    if (fstatSync(this.#fd!).size + bytes.length > this.options.maxBytes) this.#rotate();
    writeSync(this.#fd!, bytes);
  }

  #rotate(): void {
    const [newest, ...older] = rotatedLogPaths(this.path, this.options.keep);
    if (newest === undefined) {
      rmSync(this.path, { force: true });
    } else {
      const all = [newest, ...older];
      rmSync(all.at(-1)!, { force: true });
      for (let index = all.length - 1; index > 0; index--) renameIfPresent(all[index - 1]!, all[index]!);
      renameSync(this.path, newest);
    }
    this.#reopen();
    if (this.options.rotated) writeSync(this.#fd!, this.options.rotated());
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
