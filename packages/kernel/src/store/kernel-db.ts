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
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '@oxydra/types';
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
  claimWorkspaceState(path);
  const db = connectLocalDb(path);
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
export function openLocalDb(path: string, migrations: readonly string[]): KernelDb {
  return finishOpening(connectLocalDb(path), path, migrations);
}

/** The file opened (created owner-only if new) in WAL mode, not yet migrated. */
function connectLocalDb(path: string): KernelDb {
  let created = true;
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
  }
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout=${BUSY_TIMEOUT_MS}`);
    // A file this opener just created holds nothing, so until it is migrated (finishOpening sets
    // NORMAL) SQLite need not sync it. Its switch to WAL is a rollback-journal write of its first
    // page, which synchronous=FULL made wait on four fsyncs (the journal, its folder, the journal
    // again, the file), and its first WAL frame, at NORMAL, on two more (the WAL's header and its
    // folder): 3-15 ms of a fresh gateway's start on this machine's ext4 disk. A crash before
    // they reach the disk loses only the schema: the switch leaves an empty file (SQLite starts
    // it anew, this opener switches it again), and a WAL whose frames fail their checksums is
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
  migrations.forEach((sql, index) => {
    // Each step re-reads the version under the write lock: two processes opening a new file at
    // once apply each step once.
    db.exec('BEGIN IMMEDIATE');
    try {
      if (version() === index) {
        db.exec(sql);
        db.pragma(`user_version=${index + 1}`);
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  });
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
 * Runs `fn` in a write transaction (BEGIN IMMEDIATE: the lock is taken before the first read),
 * or, inside a caller's transaction, as part of it: then it commits or rolls back with the rest.
 */
export function writeTransaction<T>(db: KernelDb, fn: () => T): T {
  if (db.inTransaction) {
    refuseWhileHeldAsync(db);
    return fn();
  }
  beginWrite(db);
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * One atomic unit of a store method: a write transaction of its own, or part of the transaction
 * open on the connection (a group transaction, sync or async: store/libsql/async-view.ts).
 */
export function atomically<T>(db: KernelDb, fn: () => T): T {
  return db.inTransaction ? fn() : writeTransaction(db, fn);
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
