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
import { closeSync, constants, ftruncateSync, openSync } from 'node:fs';
import { readSmallFile } from '@oxydra/types/fs';

/** SQLite's default page size, which these files are created with. */
const FIRST_PAGE_BYTES = 4096;
/** A WAL header's first four bytes, big-endian (the two checksum byte orders). */
const WAL_MAGIC = new Set([0x377f0682, 0x377f0683]);

/** True when the WAL beside `path` cannot hold a committed transaction (none, or no valid magic). */
function walHoldsNothing(path: string): boolean {
  const head = readSmallFile(`${path}-wal`, { maxBytes: 4, oversize: 'truncate' });
  return !head.ok || head.bytes.length < 4 || !WAL_MAGIC.has(head.bytes.readUInt32BE(0));
}

/**
 * Empties the existing database file `path` when it is a regular file of at most one page holding
 * only zeros and its WAL holds nothing; true when it did. Read with readSmallFile's rules (no
 * link, no FIFO or device), then truncated through a descriptor opened without following a link.
 */
export function emptyUnwrittenFile(path: string): boolean {
  const page = readSmallFile(path, { maxBytes: FIRST_PAGE_BYTES });
  if (!page.ok || page.size === 0 || page.bytes.some((byte) => byte !== 0)) return false;
  if (!walHoldsNothing(path)) return false;
  const fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
  return true;
}
