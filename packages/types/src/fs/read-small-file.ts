/**
 * Reading a small file that someone else may have planted or swapped: a state record, a key, a
 * cache, a file from a cloned repository. One home for the rules every such read needs:
 * - looked at (lstat) before opening, because opening a device can have effects of its own;
 * - opened with O_NOFOLLOW (a link planted at the final name is refused, not followed) and
 *   O_NONBLOCK (a FIFO never makes the open wait for a writer);
 * - checked again on what was opened (fstat), because the name may be swapped in between;
 * - never more than a cap read, so a huge or endless file costs nothing.
 * Synchronous on purpose: callers run inside synchronous assembly and every read is bounded.
 * A subpath of @oxydra/types (`@oxydra/types/fs`) so browser bundles never see node:fs.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  readSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = constants;

/** Why a file was not read. */
export type SmallFileProblem =
  | 'missing'
  | 'link'
  | 'not-regular'
  | 'too-large'
  | 'foreign-owner'
  | 'shared-mode'
  | 'rejected'
  | 'unreadable';

export interface SmallFileOptions {
  /** At most this many bytes are read. */
  maxBytes: number;
  /** A larger file: refused as 'too-large' (the default), or its first maxBytes read. */
  oversize?: 'refuse' | 'truncate';
  /** Refuse a file owned by another user (where the platform has uids). */
  ownedByMe?: boolean;
  /** Refuse a file whose mode gives these bits to group or others (e.g. 0o077, 0o022). */
  refuseModeBits?: number;
  /** Follow a link at the final name (for files the user named themselves). Default: refuse it. */
  followLinks?: boolean;
  /** Any further check of the opened file's stats; a string is the reason it is refused. */
  accept?: (stats: Stats) => string | undefined;
}

/**
 * The rule for a file only this user's Oxydra writes, always 0600 (a gateway record, the audit
 * head): owned by you, nothing for group or others. A file that came with a folder fails it (a
 * checkout is 0644, an archive's file keeps its author's mode or uid), as does a link, a FIFO or
 * a device at its name (readSmallFile's own rules). Spread into the options with a size cap.
 */
export const WRITTEN_BY_ME = {
  ownedByMe: true,
  refuseModeBits: 0o077,
} as const satisfies Partial<SmallFileOptions>;

export type SmallFile =
  | { ok: true; bytes: Buffer; size: number; stats: Stats }
  | {
      ok: false;
      problem: SmallFileProblem;
      detail: string;
      /** The file's size, when it was too large. */
      size?: number;
      /** The errno code, when opening or reading failed (ENOENT, EACCES, ...). */
      code?: string;
    };

const refused = (
  problem: SmallFileProblem,
  detail: string,
  extra: { size?: number; code?: string } = {},
): SmallFile => ({
  ok: false,
  problem,
  detail,
  ...extra,
});

/** What is wrong with these stats for a read under `options`, if anything. */
function check(stats: Stats, options: SmallFileOptions): SmallFile | undefined {
  if (stats.isSymbolicLink()) return refused('link', 'is a symbolic link');
  if (stats.isDirectory()) return refused('not-regular', 'is a directory');
  if (!stats.isFile()) return refused('not-regular', 'is not a regular file (a FIFO, socket or device?)');
  const uid = process.geteuid?.();
  if (options.ownedByMe && uid !== undefined && stats.uid !== uid) {
    return refused('foreign-owner', `belongs to uid ${stats.uid}, not you`);
  }
  if (options.refuseModeBits !== undefined && (stats.mode & options.refuseModeBits) !== 0) {
    return refused('shared-mode', `has mode ${(stats.mode & 0o777).toString(8)}: other users can reach it`);
  }
  if ((options.oversize ?? 'refuse') === 'refuse' && stats.size > options.maxBytes) {
    return refused('too-large', `is ${stats.size} bytes, more than the ${options.maxBytes} allowed`, {
      size: stats.size,
    });
  }
  const reason = options.accept?.(stats);
  return reason === undefined ? undefined : refused('rejected', reason);
}

function openProblem(error: unknown): SmallFile {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  if (code === 'ENOENT' || code === 'ENOTDIR') return refused('missing', 'no such file', { code });
  if (code === 'ELOOP') return refused('link', 'is a symbolic link', { code });
  if (code === 'EACCES' || code === 'EPERM') {
    return refused('unreadable', 'permission denied (check its owner and mode)', { code });
  }
  return refused('unreadable', `cannot be opened (${code})`, { code });
}

/** Reads a small regular file under the rules above; never throws for what the file is. */
export function readSmallFile(path: string, options: SmallFileOptions): SmallFile {
  // Without a confirmation nothing is refused as 'outside'.
  return readOpened(path, options) as SmallFile;
}

/** A read refused because what it reached lies outside the folder it must stay in. */
export type OutsideFile = { ok: false; problem: 'outside'; detail: string };

/**
 * readSmallFile, with `confirm` asked about the opened descriptor before anything is read: a
 * refusal it returns is the answer.
 */
function readOpened(
  path: string,
  options: SmallFileOptions,
  confirm?: (fd: number) => SmallFile | OutsideFile | undefined,
): SmallFile | OutsideFile {
  let fd: number;
  try {
    const before = check(options.followLinks ? statSync(path) : lstatSync(path), options);
    if (before) return before;
    fd = openSync(path, O_RDONLY | O_NONBLOCK | (options.followLinks ? 0 : O_NOFOLLOW));
  } catch (error) {
    return openProblem(error);
  }
  try {
    const wrong = confirm?.(fd);
    if (wrong) return wrong;
    const stats = fstatSync(fd);
    const after = check(stats, options);
    if (after) return after;
    const buffer = Buffer.alloc(Math.min(stats.size, options.maxBytes));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { ok: true, bytes: buffer.subarray(0, read), size: stats.size, stats };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return refused('unreadable', `cannot be read (${code})`, { code });
  } finally {
    closeSync(fd);
  }
}

/*
 * Reading a file a folder's owner named by a path inside that folder (a workspace's prompt or
 * character file): the spelling stays inside, but a cloned repository (or a sandboxed command)
 * can make any part of the path a link to a host file (`~/.ssh/id_ed25519`, `/proc/self/environ`),
 * which a plain read follows with the user's rights. So the real path must stay inside the real
 * folder, and the file itself is read under readSmallFile's rules (regular, no final link, capped).
 * The check and the open are two steps: a folder on the way swapped for a link in between would
 * be followed by the open (O_NOFOLLOW covers the last name only). So what was opened is checked
 * too, before a byte is read: on Linux where the descriptor really is (/proc/self/fd/<fd>);
 * elsewhere, that the checked real path is still real and still that file (device and inode),
 * which narrows the window to a swap out and back again between those two looks.
 */

/** `path` is `root` or inside it (both already real paths). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The real path of `path` (relative to `root`, or absolute) when it stays inside `root`'s real
 * path; `outside` names where it leads when it does not (by its spelling or through a link);
 * undefined when it cannot be resolved (missing, a dangling link): the caller's read says which.
 */
export function realPathInside(
  root: string,
  path: string,
): { real: string; root: string } | { outside: string } | undefined {
  let real: string;
  try {
    real = realpathSync(resolve(root, path));
  } catch {
    return undefined;
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    realRoot = resolve(root);
  }
  return isInside(realRoot, real)
    ? { real, root: realRoot }
    : { outside: `leads out of ${root} (through a symbolic link, to ${real})` };
}

/** Where an open descriptor really is, when the platform says (Linux, with /proc mounted). */
function openedPath(fd: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * Without /proc: `fd` is the file at `real`, and `real` is still a real path (no folder on the
 * way became a link). Exported for its test.
 */
export function openedIsByIdentity(fd: number, real: string): boolean {
  try {
    if (realpathSync(real) !== real) return false;
    const now = lstatSync(real);
    const opened = fstatSync(fd);
    return now.dev === opened.dev && now.ino === opened.ino;
  } catch {
    return false;
  }
}

/**
 * Reads `path` (relative to `root`, or absolute) only when its real path is inside `root`'s real
 * path, both when it is checked and as opened; a path that leads out, by its spelling or through
 * a link (one swapped in meanwhile included), is refused as 'outside'.
 */
export function readSmallFileInside(
  root: string,
  path: string,
  options: Omit<SmallFileOptions, 'followLinks'>,
): SmallFile | OutsideFile {
  const inside = realPathInside(root, path);
  // Missing (or a dangling link): readSmallFile says which, without following anything. A file
  // that appears meanwhile is still missing: it was when checked.
  if (inside === undefined)
    return readOpened(resolve(root, path), options, () => refused('missing', 'no such file'));
  if ('outside' in inside) return { ok: false, problem: 'outside', detail: inside.outside };
  // The real path had no link left in it; readSmallFile refuses one swapped in at the last name,
  // and the confirmation one swapped in on the way.
  return readOpened(inside.real, options, (fd) => {
    const at = openedPath(fd);
    const stayed = at === undefined ? openedIsByIdentity(fd, inside.real) : isInside(inside.root, at);
    if (stayed) return undefined;
    return {
      ok: false,
      problem: 'outside',
      detail: `leads out of ${root} (a folder on the way became a link while it was read${at ? `, to ${at}` : ''})`,
    };
  });
}
