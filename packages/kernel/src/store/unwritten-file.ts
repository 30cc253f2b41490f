/**
 * A workspace database file that a power cut caught while it was being created: its size reached
 * the disk but its first page did not, so it holds zeros. Since a new kernel.db or channels.db is
 * switched to WAL and migrated without SQLite's syncs (kernel-db.ts's connectLocalDb), a crash in
 * those first milliseconds can leave this on file systems that write a file's size before its
 * data. SQLite calls such a file "not a database" (SQLITE_NOTADB), which would stop every later
 * start until someone moved it aside by hand.
 *
 * Such a file holds nothing when its WAL holds nothing either: no WAL, or one without a valid
 * header (SQLite reads a frame only after checking the header's magic and checksums). It is then
 * emptied (truncated in place, so a process opening it at the same moment sees the same file),
 * and the opener makes it again as a new file; SQLite discards the WAL of an empty file itself.
 * A WAL with a valid header may hold committed transactions with the first page among them, so
 * that case is left to SQLite, as is anything else it refuses (other bytes, a longer file):
 * reported as damaged (cli/src/exit.ts), since it may hold someone's data.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';

/** SQLite's default page size, which these files are created with. */
const FIRST_PAGE_BYTES = 4096;
/** A WAL header's first four bytes, big-endian (the two checksum byte orders). */
const WAL_MAGIC = new Set([0x377f0682, 0x377f0683]);
const WAL_HEADER_BYTES = 32;
const READ_ONLY = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** `use` of the regular file at `path` opened with `flags`, and its size; undefined: no such file. */
function withRegularFile<T>(
  path: string,
  flags: number,
  use: (fd: number, size: number) => T,
): T | undefined {
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    return stat.isFile() ? use(fd, stat.size) : undefined;
  } finally {
    closeSync(fd);
  }
}

/** True when the WAL beside `path` cannot hold a committed transaction. */
function walHoldsNothing(path: string): boolean {
  const wal = `${path}-wal`;
  const magic = withRegularFile(wal, READ_ONLY, (fd, size) => {
    if (size < WAL_HEADER_BYTES) return undefined;
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 ? head.readUInt32BE(0) : undefined;
  });
  return magic === undefined || !WAL_MAGIC.has(magic);
}

/**
 * Empties the existing database file `path` when it is a regular file of at most one page holding
 * only zeros and its WAL holds nothing; true when it did. Read and truncated through one
 * descriptor opened without following a link.
 */
export function emptyUnwrittenFile(path: string): boolean {
  const flags = constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const emptied = withRegularFile(path, flags, (fd, size) => {
    if (size === 0 || size > FIRST_PAGE_BYTES) return false;
    const bytes = Buffer.alloc(size);
    if (readSync(fd, bytes, 0, size, 0) !== size || bytes.some((byte) => byte !== 0)) return false;
    if (!walHoldsNothing(path)) return false;
    ftruncateSync(fd, 0);
    return true;
  });
  return emptied === true;
}
