/**
 * Opening the memory database: a local libSQL file (the default) or a remote libSQL / Turso
 * server. Migrations are separate (migrate.ts) so tests can open a database at any version.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, Row } from '@libsql/client';
import Database from 'libsql';
import { MemoryValidationError } from '../../errors.js';
import { serialClient } from '../../serial-client.js';
import { type Connection, localClient } from '../local/local-client.js';

/** How long a statement waits for another process's write lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/** The connection's page cache, in KiB (a bound: it stops growing there). */
export const PAGE_CACHE_KIB = 32 * 1024;

/**
 * WAL pages after which a commit copies the log back into the file (SQLite's default: 1000).
 *
 * Why more: a stored library run writes ~66 WAL pages (six transactions, each rewriting the hot
 * leaves of the sessions, events and chunk indexes), so at 1000 every ~15th run's COMMIT paid a
 * checkpoint: the log's pages copied into the file and two fsyncs (synchronous=NORMAL syncs
 * there, not per commit), 1-2 ms CPU and 5-60 ms blocked under load, the periodic heavy COMMIT
 * of profiles. A longer log is checkpointed a quarter as often and copies each hot page once
 * for four times the runs. The log file grows to ~16 MB (4 KiB pages) while the file is open;
 * the last connection to close checkpoints and removes it, as before.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 4000;

export interface DatabaseLocation {
  /** A file path (relative to the current directory) of a local database. */
  path?: string;
  /** A `file:` URL, or a remote `libsql:`, `http(s):` or `ws(s):` URL. */
  url?: string;
  /** The remote server's token; never used for local files. */
  authToken?: string;
}

type Target = { kind: 'file'; path: string } | { kind: 'remote'; url: string; authToken?: string };

function targetOf(location: DatabaseLocation): Target {
  const { path, url, authToken } = location;
  if (path !== undefined && url !== undefined) {
    throw new MemoryValidationError('path', 'give the memory database a path or a url, not both');
  }
  if (path !== undefined) {
    if (path === '' || path.startsWith(':memory:')) {
      throw new MemoryValidationError('path', `memory database path must name a file, got "${path}"`);
    }
    return { kind: 'file', path: resolve(path) };
  }
  if (url === undefined || url === '') {
    throw new MemoryValidationError('path', 'the memory database needs a path or a url');
  }
  if (url.startsWith('file:')) {
    // file:/abs, file:///abs and file://localhost/abs are URLs; `file:rel.db` is libSQL's relative form.
    const filePath = url.startsWith('file:/') ? fileURLToPath(url) : resolve(url.slice('file:'.length));
    return { kind: 'file', path: filePath };
  }
  return { kind: 'remote', url, ...(authToken !== undefined ? { authToken } : {}) };
}

/** Creates the file empty and owner-only if missing: it will hold whole conversations. */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * `PRAGMA journal_mode=WAL` needs the file to itself for a moment. When several processes open
 * one fresh file at once, SQLite may answer SQLITE_BUSY at once instead of waiting (its busy
 * handler is skipped where waiting could deadlock), so the switch is retried a few times; once
 * one process has switched, the others find WAL and need no lock.
 */
async function switchToWal(client: Client) {
  for (let attempt = 0, delay = 10; ; attempt += 1, delay = Math.min(delay * 2, 250)) {
    try {
      return await client.execute('PRAGMA journal_mode=WAL');
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'SQLITE_BUSY' || attempt >= 40) throw error;
      await new Promise((done) => setTimeout(done, delay));
    }
  }
}

/** A connection with the settings SQLite keeps per connection (not in the file). */
function connectLocal(path: string, made = false): Connection {
  // `timeout` is libSQL's busy_timeout, set as the connection opens, so even the first PRAGMA
  // waits for another process instead of failing.
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec(`PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`);
    // Session deletes cascade to events, state and search chunks through foreign keys.
    db.exec('PRAGMA foreign_keys=ON');
    // In WAL mode NORMAL loses no committed transaction when the process dies (only, at
    // worst, the last ones on power loss) and saves an fsync per commit. A file the caller's
    // claim has just made (`made`) holds nothing but its origin id: it is switched to WAL and
    // migrated at OFF (no fsync), and its opener sets NORMAL once migrated (as kernel.db's,
    // docs/kernel.md "Round gwstart"); a crash before then leaves a schema to make again.
    db.exec(`PRAGMA synchronous=${made ? 'OFF' : 'NORMAL'}`);
    // SQLite's default page cache is 2 MB: a search's rerank reads a few hundred vector rows
    // spread over the whole table, which at a few thousand chunks already no longer fits, so
    // every turn's recall went back to the file. A bounded larger cache keeps the hot pages.
    db.exec(`PRAGMA cache_size=-${PAGE_CACHE_KIB}`);
    db.exec(`PRAGMA wal_autocheckpoint=${WAL_AUTOCHECKPOINT_PAGES}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

async function openLocal(path: string, made: boolean): Promise<Client> {
  createPrivateFile(path);
  // Only the first connection of a just-made file starts at OFF: a reconnect is at NORMAL.
  let fresh = made;
  // One connection taking turns (see serial-client.ts), its statements prepared once (see
  // store/local/local-client.ts); the connection is opened through the synchronous binding,
  // so neither @libsql/client's pool nor its remote (HTTP and WebSocket) clients are loaded.
  const client = serialClient(
    localClient(() => {
      const connection = connectLocal(path, fresh);
      fresh = false;
      return connection;
    }),
  );
  try {
    // WAL: readers never block the writer and a second process's writes are not lost. SQLite
    // gives the -wal and -shm files the database file's permissions, so they stay 0600 too.
    // WAL is a property of the file, so a reconnect does not need to switch again.
    const mode = await switchToWal(client);
    const journal = String(mode.rows[0]?.[0] ?? '').toLowerCase();
    if (journal !== 'wal')
      throw new Error(`could not switch ${path} to WAL mode (journal_mode is ${journal})`);
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
}

/**
 * Opens (creating if needed) the memory database. A local file gets its parent folders, mode
 * 0600 when new, WAL, busy_timeout, foreign keys and synchronous=NORMAL; a remote server is
 * configured by its operator. Does not migrate: call `migrate`, or use `openMemory`. `made`: the
 * caller's claim has just made the file, which stays at synchronous=OFF until the caller, once
 * it is migrated, sets NORMAL (`PRAGMA synchronous=NORMAL`).
 */
export async function openDatabase(location: DatabaseLocation, made = false): Promise<Client> {
  const target = targetOf(location);
  if (target.kind === 'file') return openLocal(target.path, made);
  const { createClient } = await import('@libsql/client');
  return createClient({
    url: target.url,
    ...(target.authToken !== undefined ? { authToken: target.authToken } : {}),
  });
}

/** Typed reads of libSQL result rows, which are loosely typed (`Value`) by column name. */

export function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new Error(`column ${column}: expected text, got ${typeof value}`);
  return value;
}

export function optionalText(row: Row, column: string): string | undefined {
  const value = row[column];
  return value === null || value === undefined ? undefined : String(value);
}

export function integer(row: Row, column: string): number {
  const value = row[column];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`column ${column}: expected an integer, got ${typeof value}`);
}
