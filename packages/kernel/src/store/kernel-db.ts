/**
 * The kernel's own database, `.oxydra/kernel.db`: the audit chain, the budget ledger, gateway
 * tokens and the approvals queue. It is separate from the memory database on purpose: memory
 * may be off or on a remote server, but what agents did and spent must be recorded locally,
 * always. It is a local libSQL file opened through the synchronous `libsql` binding (the same
 * native library `@libsql/client` loads), so an audit entry is committed before the call it
 * records goes on (measured: 0.04 ms per committed append), and a read of 100,000 entries takes
 * a fraction of the time the async client's row objects cost.
 *
 * WAL with synchronous=NORMAL: a process that dies loses no committed entry; busy_timeout lets
 * two processes on one workspace (a run and the gateway) take turns at the write lock.
 */

import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  type Stats,
  statSync,
} from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '@oxydra/types';
import { readSmallFile } from '@oxydra/types/fs';
import Database from 'libsql';
import { claimWorkspaceState, WRITE_FIX, writeProblem } from './state-origin.js';

export type KernelDb = InstanceType<typeof Database>;

/** A prepared statement kept for reuse (the parts of libsql's Statement used here). */
export interface KernelStatement {
  run(...params: unknown[]): { changes: number };
  all(...params: unknown[]): unknown[];
}

export const BUSY_TIMEOUT_MS = 5000;

/**
 * The schema version this build migrates kernel.db to: the number of KERNEL_MIGRATIONS (a test
 * holds the two together). Kept here rather than counted from the list so that opening an
 * up-to-date database, every run but the first, does not load the migrations' SQL
 * (kernel-schema.ts), as @oxydra/memory's LATEST_SCHEMA_VERSION does for the memory file.
 */
export const KERNEL_SCHEMA_VERSION = 8;

export function kernelDbPath(workspace: string): string {
  return join(workspace, '.oxydra', 'kernel.db');
}

/** Opens (creating if needed, owner-only) and migrates the workspace's kernel database. */
export async function openKernelDb(workspace: string): Promise<KernelDb> {
  const path = kernelDbPath(workspace);
  const problem = writeProblem(path);
  if (problem) {
    throw new UsageError(`the kernel database ${path} is ${problem}`, { hint: WRITE_FIX });
  }
  mkdirSync(join(workspace, '.oxydra'), { recursive: true });
  // A kernel.db that came with the folder carries someone else's tokens, schedules and budgets.
  const made = claimWorkspaceState(path);
  const db = connectLocalDb(path, made);
  let steps: readonly string[] | undefined;
  try {
    if (userVersion(db) !== KERNEL_SCHEMA_VERSION)
      steps = (await import('./kernel-schema.js')).KERNEL_MIGRATIONS;
  } catch (error) {
    db.close();
    throw error;
  }
  return finishOpening(db, path, steps);
}

/**
 * Opens (creating it owner-only) a local libSQL file of the workspace through the synchronous
 * binding, in WAL mode, and applies the steps of `migrations` it lacks: the kernel database's
 * opener, shared with the other packages that keep a file of their own (the channel host's
 * `.oxydra/channels.db`).
 */
export function openLocalDb(path: string, migrations: readonly string[], made = false): KernelDb {
  return finishOpening(connectLocalDb(path, made), path, migrations);
}

/**
 * The file opened (created owner-only if new) in WAL mode, not yet migrated. A file a power cut
 * left as zeros while it was being created is made again (emptyUnwrittenFile, below). `made`:
 * the caller's claim has just made it (claimWorkspaceState: a new file holding only its origin
 * id), so it is as new as one created here.
 */
function connectLocalDb(path: string, made = false): KernelDb {
  let created = true;
  if (!made) {
    try {
      closeSync(openSync(path, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      created = false;
    }
  }
  // Checked before SQLite opens the file rather than after it refuses it: a second connection
  // opened in the same process after one that met SQLITE_NOTADB was seen waiting on locks.
  if (!created && emptyUnwrittenFile(path)) created = true;
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout=${BUSY_TIMEOUT_MS}`);
    // A file this opener (or its claim) just created holds nothing, so until it is migrated (finishOpening sets
    // NORMAL) SQLite need not sync it. Its switch to WAL is a rollback-journal write of its first
    // page, which synchronous=FULL made wait on four fsyncs (the journal, its folder, the journal
    // again, the file), and its first WAL frame, at NORMAL, on two more (the WAL's header and its
    // folder): 3-15 ms of a fresh gateway's start on this machine's ext4 disk. A crash before
    // they reach the disk loses only the schema: the switch leaves an empty file (SQLite starts
    // it anew, this opener switches it again) or, where a file system wrote the size before the
    // data, one page of zeros (made again: emptyUnwrittenFile), and a WAL whose frames fail their checksums is
    // discarded, leaving user_version below this build's, so the next open migrates again. No
    // checkpoint runs that early (SQLite's automatic one waits for 1,000 pages). A file that
    // existed is opened at NORMAL throughout, as before.
    db.pragma(`synchronous=${created ? 'OFF' : 'NORMAL'}`);
    const mode = String(switchToWal(db)).toLowerCase();
    if (mode !== 'wal') throw new Error(`could not switch ${path} to WAL mode (journal_mode is ${mode})`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Applies the steps of `migrations` the file lacks (none to apply: undefined), sets its mode, and
 * puts the connection at synchronous=NORMAL for everything it writes from now on (a new file was
 * migrated without syncs: connectLocalDb).
 */
function finishOpening(db: KernelDb, path: string, migrations: readonly string[] | undefined): KernelDb {
  try {
    if (migrations) migrate(db, path, migrations);
    db.pragma('synchronous=NORMAL');
    // The -wal and -shm files take the database's mode; an old file created before 0600 gets it now.
    chmodSync(path, 0o600);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function userVersion(db: KernelDb): number {
  return Number(pragma(db, 'user_version'));
}

function migrate(db: KernelDb, path: string, migrations: readonly string[]): void {
  const version = () => userVersion(db);
  if (version() > migrations.length) {
    throw new UsageError(
      `${path} was written by a newer Oxydra (schema ${version()}, this one knows ${migrations.length})`,
      { hint: 'upgrade Oxydra' },
    );
  }
  // The steps the file lacks in one transaction, the version re-read under its write lock: two
  // processes opening a new file at once apply each step once, and a step that fails leaves the
  // file at the version it had. One commit instead of one a step: a new kernel.db's 8 steps wrote
  // 42 WAL frames (the schema's first page again at each step's commit), now 32 in one commit.
  db.exec('BEGIN IMMEDIATE');
  try {
    const from = version();
    for (let index = from; index < migrations.length; index += 1) db.exec(migrations[index]!);
    if (from < migrations.length) db.pragma(`user_version=${migrations.length}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * `PRAGMA journal_mode=WAL` needs the file to itself for a moment. When several processes open
 * one fresh file at once SQLite may answer SQLITE_BUSY at once instead of waiting (its busy
 * handler is skipped where waiting could deadlock), so the switch is retried, sleeping the
 * thread between tries (this opener is synchronous); once one process has switched, the others
 * find WAL and need no lock. @oxydra/memory's opener does the same asynchronously.
 */
function switchToWal(db: KernelDb): unknown {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0, delay = 10; ; attempt += 1, delay = Math.min(delay * 2, 250)) {
    try {
      return pragma(db, 'journal_mode=WAL');
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'SQLITE_BUSY' || attempt >= 40) throw error;
      Atomics.wait(pause, 0, 0, delay);
    }
  }
}

/** A PRAGMA's first value (libsql's `pragma()` has no `simple` mode). */
function pragma(db: KernelDb, text: string): unknown {
  const row = db.prepare(`PRAGMA ${text}`).raw(true).get() as unknown[] | undefined;
  return row?.[0];
}

/**
 * Whether a transaction is open on `db`; false once it is closed. libsql's own `inTransaction`
 * (0.5) aborts the whole process on a closed database (a Rust panic: exit 134, no JavaScript
 * error to catch), so every look goes through here: a write reaching a closed kernel database
 * then fails at its next statement with the binding's "The database connection is not open".
 * scripts/check-sql-home.mjs refuses a look that does not.
 */
export function inTransaction(db: KernelDb): boolean {
  return db.open && db.inTransaction;
}

/**
 * Runs `fn` in a write transaction (BEGIN IMMEDIATE: the lock is taken before the first read),
 * or, inside a caller's transaction, as part of it: then it commits or rolls back with the rest.
 */
export function writeTransaction<T>(db: KernelDb, fn: () => T): T {
  if (inTransaction(db)) {
    refuseWhileHeldAsync(db);
    return fn();
  }
  beginWrite(db);
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (inTransaction(db)) db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * One atomic unit of a store method: a write transaction of its own, or part of the transaction
 * open on the connection (a group transaction, sync or async: store/libsql/async-view.ts).
 */
export function atomically<T>(db: KernelDb, fn: () => T): T {
  return inTransaction(db) ? fn() : writeTransaction(db, fn);
}

/** BEGIN IMMEDIATE: for a transaction its caller ends (async-view.ts). */
export function beginWrite(db: KernelDb): void {
  db.exec('BEGIN IMMEDIATE');
}

/** Databases with a transaction open across awaits (store/libsql/async-view.ts). */
const heldAsync = new WeakSet<KernelDb>();

/**
 * Marks (or clears) `db` as holding a transaction across awaits. While it does, a synchronous
 * write on the connection would join that transaction and be lost with its rollback, so it
 * is refused instead (writeTransaction).
 */
export function holdAsync(db: KernelDb, held: boolean): void {
  if (held) heldAsync.add(db);
  else heldAsync.delete(db);
}

/** Each database's store instances, by class (storeOn). */
const instances = new WeakMap<KernelDb, Map<new (db: KernelDb) => unknown, unknown>>();

/**
 * The one instance of a store class on `db`: its statements are prepared once, and what it
 * caches (the spend store's caps) is shared by the sync group (store/libsql/control.ts) and the
 * async view (async-view.ts), which loads the stores a run does not use at their first call.
 */
export function storeOn<S>(db: KernelDb, Store: new (db: KernelDb) => S): S {
  let stores = instances.get(db);
  if (!stores) {
    stores = new Map();
    instances.set(db, stores);
  }
  let store = stores.get(Store) as S | undefined;
  if (!store) {
    store = new Store(db);
    stores.set(Store, store);
  }
  return store;
}

export function refuseWhileHeldAsync(db: KernelDb): void {
  if (heldAsync.has(db)) {
    throw new Error('the kernel database has an async store transaction open: this write would join it');
  }
}

/**
 * A workspace database file that a power cut caught while it was being created: its size reached
 * the disk but its first page did not, so it holds zeros. Since a new kernel.db or channels.db is
 * switched to WAL and migrated without SQLite's syncs (connectLocalDb, above), a crash in
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

/**
 * Which workspace a running kernel or gateway holds, by identity (device and inode) rather than
 * by name. The kernel keeps its databases open, so after `rm -rf .oxydra` or
 * `mv .oxydra .oxydra.old && mkdir .oxydra` it goes on writing to files nobody will open again,
 * while anything it writes by path (the audit head file) lands in a folder that does not hold
 * its chain: on the next start that head reads as a removed tail ("tampering") nobody did.
 * Recorded once at start; `problem()` is a few stats (cheap enough per request or per turn, not
 * per event) and, once it found the state moved, keeps saying so until the process restarts.
 * `writeFile` writes into the recorded `.oxydra/` itself, never into whatever now has its name.
 */
interface Part {
  /** How a person names it: ".oxydra/". */
  name: string;
  path: string;
  dev: number;
  ino: number;
}

/** On Linux a directory's descriptor can be named as a path that stays on that directory. */
const PROC_FD = '/proc/self/fd';

export class WorkspaceIdentity {
  #problem: string | undefined;

  private constructor(
    readonly workspace: string,
    private readonly parts: readonly Part[],
    problem: string | undefined,
  ) {
    this.#problem = problem;
  }

  /**
   * Records the workspace folder, its `.oxydra/` and `.oxydra/kernel.db` as they are now. Call
   * it after the kernel database is open: a part missing already is a problem from the start.
   */
  static capture(workspace: string): WorkspaceIdentity {
    const parts: Part[] = [];
    let problem: string | undefined;
    for (const [name, path] of [
      ['the workspace folder', workspace],
      ['.oxydra/', join(workspace, '.oxydra')],
      ['.oxydra/kernel.db', kernelDbPath(workspace)],
    ] as const) {
      const stats = statOrUndefined(path);
      if (stats) parts.push({ name, path, dev: stats.dev, ino: stats.ino });
      else problem ??= `${name} is missing`;
    }
    return new WorkspaceIdentity(workspace, parts, problem);
  }

  /**
   * Undefined while every recorded part is still the same file; else why not, naming no path
   * (".oxydra/ was removed"): /readyz, open to anyone, says it.
   */
  problem(): string | undefined {
    if (this.#problem !== undefined) return this.#problem;
    for (const part of this.parts) {
      const stats = statOrUndefined(part.path);
      if (!stats) return this.#latch(`${part.name} was removed`);
      if (stats.dev !== part.dev || stats.ino !== part.ino) {
        return this.#latch(`${part.name} was replaced by another`);
      }
    }
    return undefined;
  }

  /**
   * Writes `name` atomically into the recorded `.oxydra/` (a temporary file, fsync, rename,
   * fsync of the folder), only while the state is the one recorded. On Linux through the
   * folder's own descriptor, so a folder swapped in between the check and the rename cannot
   * receive it. False, writing nothing, when the state moved (the reason is in `problem()`).
   */
  async writeFile(name: string, content: string, mode = 0o600): Promise<boolean> {
    if (this.problem() !== undefined) return false;
    const folder = this.parts.find((part) => part.name === '.oxydra/');
    if (!folder) return false;
    let dir: FileHandle;
    try {
      dir = await open(folder.path, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (error) {
      if (this.problem() !== undefined) return false;
      throw error;
    }
    try {
      const opened = await dir.stat();
      if (opened.dev !== folder.dev || opened.ino !== folder.ino) {
        this.#latch(`${folder.name} was replaced by another`);
        return false;
      }
      const base = existsSync(PROC_FD) ? join(PROC_FD, String(dir.fd)) : folder.path;
      const temporary = join(base, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        // wx: a file (or a symlink) planted at the temporary name is never followed.
        const file = await open(temporary, 'wx', mode);
        try {
          await file.writeFile(content, 'utf8');
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temporary, join(base, name));
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => {});
        // A folder deleted under its descriptor refuses new files (ENOENT): that is the move.
        if (this.problem() !== undefined) return false;
        throw error;
      }
      await dir.sync();
      return true;
    } finally {
      await dir.close();
    }
  }

  #latch(problem: string): string {
    this.#problem = problem;
    return problem;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
