/**
 * Reading log files a daemon appends to: the last lines of one (`tailLines`) and the lines
 * appended since (`LogFollower`, `tail -F` style: across truncation and rotation by rename).
 * Used for the runner's guest logs and the gateway's log. A log path is never followed through
 * a symbolic link and never opened if it is not a regular file (a FIFO would hang the reader):
 * whoever can write the log directory must not be able to make `oxydra ... logs` print, as the
 * person running it, a file of their choosing.
 */
import { constants } from 'node:fs';
import { type FileHandle, lstat, open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/** How much of the end of a file is read to find its last lines (1000 long lines fit). */
const TAIL_READ_BYTES = 1024 * 1024;
/** At most this much is read per file at each poll of a follower (the rest at the next one). */
const FOLLOW_READ_BYTES = 1024 * 1024;

/** A log path that is a symbolic link or not a regular file. */
export class UnsafeLogFile extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`refusing to read ${path}: ${reason}`);
    this.name = 'UnsafeLogFile';
  }
}

/** Opens a log for reading, never through a link or into a FIFO; undefined when absent. */
export async function openLogForReading(path: string): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new UnsafeLogFile(path, 'it is a symbolic link');
    throw error;
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new UnsafeLogFile(path, 'it is not a regular file');
  }
  return handle;
}

/** The last lines of a file (a partial first line is dropped when the file is longer). */
export async function tailLines(path: string, count: number): Promise<string[] | undefined> {
  const handle = await openLogForReading(path);
  if (handle === undefined) return undefined;
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_READ_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (start > 0) lines.shift();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}

/**
 * The lines appended to one log file from the moment it is started. Each `poll()` returns the
 * complete lines written since the last one. When the file is renamed away (rotated) and a new
 * one takes its name, the rest of the old file is read first, then the new one from its start;
 * a file truncated in place is read again from its start; a file that does not exist yet is
 * picked up when it appears.
 */
export class LogFollower {
  #handle: FileHandle | undefined;
  #inode = -1;
  #offset = 0;
  #partial = '';
  /** Keeps a character cut between two reads whole. */
  #decoder = new StringDecoder('utf8');

  private constructor(readonly path: string) {}

  /** Starts following at the current end of the file (or at its start, once it appears). */
  static async start(path: string): Promise<LogFollower> {
    const follower = new LogFollower(path);
    const handle = await openLogForReading(path);
    if (handle !== undefined) {
      const stat = await handle.stat();
      follower.#adopt(handle, stat.ino, stat.size);
    }
    return follower;
  }

  #adopt(handle: FileHandle, inode: number, offset: number): void {
    this.#handle = handle;
    this.#inode = inode;
    this.#offset = offset;
    this.#decoder = new StringDecoder('utf8');
  }

  /** The complete lines appended since the last poll. */
  async poll(): Promise<string[]> {
    const lines: string[] = [];
    const current = await lstat(this.path).catch(() => undefined);
    if (this.#handle !== undefined && current?.ino !== this.#inode) {
      // Renamed away (or removed): what was written to it before the switch is still ours, all
      // of it (one read takes at most FOLLOW_READ_BYTES; the file is never read again after).
      for (let before = -1; this.#offset !== before; ) {
        before = this.#offset;
        lines.push(...(await this.#readNew()));
      }
      if (this.#partial !== '') lines.push(this.#partial);
      this.#partial = '';
      await this.#handle.close();
      this.#handle = undefined;
    }
    if (this.#handle === undefined) {
      if (current === undefined) return lines;
      const handle = await openLogForReading(this.path);
      if (handle === undefined) return lines;
      this.#adopt(handle, (await handle.stat()).ino, 0);
    }
    lines.push(...(await this.#readNew()));
    return lines;
  }

  async #readNew(): Promise<string[]> {
    const handle = this.#handle!;
    const { size } = await handle.stat();
    if (size < this.#offset) {
      // Truncated in place: start over.
      this.#offset = 0;
      this.#partial = '';
      this.#decoder = new StringDecoder('utf8');
    }
    if (size === this.#offset) return [];
    const buffer = Buffer.alloc(Math.min(size - this.#offset, FOLLOW_READ_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.#offset);
    this.#offset += bytesRead;
    const lines = (this.#partial + this.#decoder.write(buffer.subarray(0, bytesRead))).split('\n');
    this.#partial = lines.pop() ?? '';
    return lines;
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }
}
