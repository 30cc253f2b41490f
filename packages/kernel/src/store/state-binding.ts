/**
 * The origin id kept inside a state database (kernel.db, memory.db, channels.db), so that the
 * record beside it (state-origin.ts) vouches for this file's content and not only for its name.
 * Git overwrites an ignored file when a pulled commit tracks it: a repository that ignores
 * `.oxydra/kernel.db` and later force-adds its author's copy replaced the user's database on
 * `git pull`, and the user's own `kernel.db.origin`, still beside it, still checked. The author's
 * file cannot carry the user's id (it is random, and the record holding it is MAC'd with the
 * user's local key), so the two disagree and the file is set aside.
 *
 * One home for every libSQL state file, whoever opens it afterwards (the kernel's synchronous
 * binding, memory's async client, the channel host): the id is read and written here through
 * the synchronous binding, before and apart from the file's own opener. A database on
 * PostgreSQL or a remote libSQL URL is no file in the folder and is never claimed.
 */
import { closeSync, lstatSync, openSync } from 'node:fs';
import Database from 'libsql';

/** As the files' openers wait (kernel-db.ts's BUSY_TIMEOUT_MS; not imported: it imports this). */
const BUSY_TIMEOUT_MS = 5000;

const TABLE = 'oxydra_origin';
/** Compared whole with what the file declares, so a look at the id runs nothing the file chose (a view, a generated column). */
const TABLE_SQL = `CREATE TABLE ${TABLE} (id TEXT NOT NULL)`;

/**
 * Why the files SQLite would open with `path` must not be opened, if they must not: its WAL and
 * shared-memory companions must be regular files when present (a link to a FIFO would hang the
 * open; git can plant links). The database itself is checked by the caller (stateStanding).
 */
function companionProblem(path: string): string | undefined {
  for (const suffix of ['-wal', '-shm']) {
    try {
      if (!lstatSync(`${path}${suffix}`).isFile()) return `its ${suffix.slice(1)} file is not a regular file`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return undefined;
}

export type InsideId = { id: string } | { none: true } | { problem: string };

/**
 * The origin id inside the database at `path` (read-only; through its WAL, as its opener would
 * see it): `{ none }` when it has no origin table (made by an Oxydra before this one, or not by
 * Oxydra), `{ problem }` when it cannot be read as one of ours at all.
 */
export function idInside(path: string): InsideId {
  const problem = companionProblem(path);
  if (problem) return { problem };
  let db: InstanceType<typeof Database> | undefined;
  try {
    db = new Database(path, { readonly: true, timeout: BUSY_TIMEOUT_MS });
    db.pragma('trusted_schema=OFF');
    const declared = db
      .prepare(`SELECT type, sql FROM sqlite_schema WHERE name = '${TABLE}'`)
      .raw()
      .all() as [string, string][];
    if (declared.length === 0) return { none: true };
    if (declared.length !== 1 || declared[0]![0] !== 'table' || declared[0]![1] !== TABLE_SQL) {
      return { problem: 'its origin table is not one Oxydra made' };
    }
    const rows = db.prepare(`SELECT id FROM ${TABLE} LIMIT 2`).raw().all() as [unknown][];
    const id = rows.length === 1 ? rows[0]![0] : undefined;
    return typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)
      ? { id }
      : { problem: 'its origin table does not hold one id' };
  } catch (error) {
    return { problem: `it cannot be read as a database (${(error as Error).message})` };
  } finally {
    db?.close();
  }
}

/**
 * Writes `id` as the database's origin (creating the file, owner-only, when missing), in one
 * transaction: a new database is made with it (under a private name: createdWithId), an adopted
 * or upgraded one gets it. The journal mode is left as the file has it (its opener sets WAL).
 */
export function writeIdInside(path: string, id: string): void {
  const problem = companionProblem(path);
  if (problem) throw new Error(`cannot record ${path} as yours: ${problem}`);
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout=${BUSY_TIMEOUT_MS}`);
    db.exec(
      `BEGIN IMMEDIATE; DROP TABLE IF EXISTS ${TABLE}; ${TABLE_SQL}; INSERT INTO ${TABLE} (id) VALUES ('${id}'); COMMIT;`,
    );
  } finally {
    db.close();
  }
}
