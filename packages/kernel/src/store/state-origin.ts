/**
 * Which of a workspace's state (kernel.db, memory.db, channels.db, checkpoints.git) this user
 * created on this machine. A folder can arrive with a `.oxydra/` full of state: a cloned
 * repository, an archive, another local user's copy. Such a kernel.db can carry its own admin
 * token, schedules, budgets and approvals; a memory.db, notes the model will trust; a channels.db,
 * senders paired to a user, messages waiting to be answered and an outbox the bot would send; a
 * checkpoints.git, a git config that runs a program. None of it may be used.
 *
 * When Oxydra creates a state file it writes a sidecar `<name>.origin` (mode 0600): a random id
 * and its HMAC under this user's local key (~/.config/oxydra/local.key, which commands and the
 * file tools cannot see). A state file is this user's when it is a real file or folder (not a
 * link), owned by this user, and its sidecar's HMAC checks, and, for a database, the id inside
 * it (below) is the sidecar's: git replaces an ignored file that a pulled commit
 * tracks, leaving the user's sidecar beside the author's database. Anything else is set aside: renamed
 * to `<name>.untrusted-<time>` (never deleted), said on stderr with the way to adopt it back,
 * and a fresh one is made in its place (state-aside.ts; adopting back: state-adopt.ts).
 *
 * The openers of a state file (kernel-db.ts, assemble/memory.ts, the channel host's
 * openChannelStore) claim it first; the first two ask writeProblem (below) whether it can be
 * written at all. Where the memory database is (memoryLocation) is here too: the admin commands,
 * doctor and replay find and claim it without loading memory's assembly.
 */
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { localMac, temporaryBeside, writePrivateFile } from '@oxydra/config';
import { type AgentConfig, ConfigError, visibleLine } from '@oxydra/types';
import { isInside, readSmallFile } from '@oxydra/types/fs';
import Database from 'libsql';
import { setAside, underClaimLock } from './state-aside.js';

const ORIGIN_SUFFIX = '.origin';
/** A folder's origin record, inside it (the checkpoint store's verifier allows it: repository.ts). */
export const ORIGIN_FILE_IN_FOLDER = 'oxydra-origin';
/** A folder's record, and a database's from before the id was kept inside it (LEGACY_FILE). */
const ORIGIN_TAG = 'oxydra-state-origin-v1';
/** A database's record whose id is also inside the database (below). */
const BOUND_TAG = 'oxydra-state-origin-v2';
/** A folder's record once what is inside is bound to it (checkpoints.git's branch record, refs.ts). */
const FOLDER_BOUND_TAG = 'oxydra-state-folder-bound-v1';
/** An origin sidecar is one line: 32 hex id, a space, 64 hex MAC. Anything longer is not ours. */
const ORIGIN_MAX_BYTES = 200;

export type StateStanding = 'missing' | 'ours' | 'foreign';

export interface ClaimOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The state is a folder (checkpoints.git): made here (0700) when missing, its record inside. */
  readonly folder?: boolean;
  /**
   * false: the caller only reads state that exists (a listing), so a missing one is left missing
   * and unrecorded. Default true: the caller is about to create it.
   */
  readonly create?: boolean;
  /** Where a set-aside is said (default: stderr). */
  readonly warn?: (message: string) => void;
}

/**
 * Beside a file; inside a folder (checkpoints.git), where the folder's own ignore rules keep it
 * out of the user's `git status`. Either way a copy of the state brings a record that fails.
 */
function originPath(path: string, folder: boolean): string {
  return folder ? join(path, ORIGIN_FILE_IN_FOLDER) : `${path}${ORIGIN_SUFFIX}`;
}

function macFor(name: string, id: string, env: NodeJS.ProcessEnv, tag = ORIGIN_TAG): string {
  return localMac([tag, name, id], env);
}

/** Why an upgraded Oxydra trusts a database with an old record: see claimWorkspaceState. */
const LEGACY_FILE = 'recorded by an Oxydra before its id was kept inside the database';

/** Whether the state at `path` is missing, this user's own, or came from elsewhere (and why). */
export function stateStanding(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): { standing: StateStanding; why?: string; id?: string } {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { standing: 'missing' };
    throw error;
  }
  if (info.isSymbolicLink()) return { standing: 'foreign', why: 'it is a symbolic link' };
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    return { standing: 'foreign', why: `it belongs to uid ${info.uid}, not you` };
  }
  const recorded = readOrigin(originPath(path, info.isDirectory()));
  if (!recorded) return { standing: 'foreign', why: 'Oxydra has no record of creating it for you' };
  const [id, mac] = recorded;
  const name = basename(path);
  if (info.isDirectory()) {
    const known = macFor(name, id, env, FOLDER_BOUND_TAG) === mac || macFor(name, id, env) === mac;
    return known ? { standing: 'ours' } : NOT_YOUR_KEY;
  }
  const bound = macFor(name, id, env, BOUND_TAG) === mac;
  if (!bound && macFor(name, id, env) !== mac) return NOT_YOUR_KEY;
  const inside = idInside(path);
  if ('id' in inside && inside.id === id) return { standing: 'ours', id };
  // Upgrade: a database made before the id was kept inside it has none; it is trusted once more
  // on its old record, and claimWorkspaceState writes the id into it (trust on first use).
  if (!bound && 'none' in inside) return { standing: 'ours', why: LEGACY_FILE, id };
  return {
    standing: 'foreign',
    why:
      'problem' in inside
        ? inside.problem
        : 'it is not the database your record was made for (replaced after Oxydra made it, e.g. by a git pull of a tracked copy)',
  };
}

const NOT_YOUR_KEY = {
  standing: 'foreign',
  why: 'its record was not made with your key (another user or machine)',
} as const;

/**
 * Whether the folder's record says what is inside was bound to it (stateFolderBound), which a
 * `git pull` cannot make: it cannot write a record under this user's key, and one it deletes or
 * replaces sets the folder aside. So a bound store missing its own record inside was tampered
 * with, not made by an earlier Oxydra.
 */
export function stateFolderBound(path: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const recorded = readOrigin(originPath(path, true));
  return recorded !== undefined && macFor(basename(path), recorded[0], env, FOLDER_BOUND_TAG) === recorded[1];
}

/** Marks a folder this user recorded as bound, keeping its id (what is inside is MAC'd with it). */
export function bindStateFolder(path: string, env: NodeJS.ProcessEnv = process.env): void {
  const recorded = readOrigin(originPath(path, true));
  if (recorded && macFor(basename(path), recorded[0], env) === recorded[1]) {
    recordOrigin(path, true, env, basename(path), recorded[0]);
  }
}

/**
 * Call right before opening (or creating) the state at `path`. A missing one is recorded as
 * this user's, since the caller is about to create it; a foreign one is set aside first.
 * True when this call made the database (new, holding only its id, not yet synced to disk): its
 * opener may then switch and migrate it without syncs too (kernel-db.ts, connectLocalDb).
 */
export function claimWorkspaceState(path: string, options: ClaimOptions = {}): boolean {
  const env = options.env ?? process.env;
  const first = stateStanding(path, env);
  if (first.standing === 'ours') return keep(path, first, env);
  if (first.standing === 'missing' && options.create === false) return false;
  // Setting aside and making are one claimer's at a time, each judging again once it holds the
  // lock: another may have just made the file, or set aside the one judged here and made its own.
  // Before, three processes opening a new folder at once raced: one wrote its record over the
  // record of a file another had just made, and a third, checking in between, set that file
  // aside with the entries already written to it (1 start in 20 of four processes; 1 in 3 of
  // eight: `state-claim-race.test.ts`).
  return underClaimLock(path, () => {
    const verdict = stateStanding(path, env);
    if (verdict.standing === 'ours') return keep(path, verdict, env);
    if (verdict.standing === 'foreign') {
      setAside(path, verdict.why ?? 'unknown origin', originPath(path, false), options.warn);
    }
    return make(path, options, env);
  });
}

/** State this user made: kept, an earlier Oxydra's record brought up to date. False: not made now. */
function keep(path: string, { why, id }: { why?: string; id?: string }, env: NodeJS.ProcessEnv): false {
  if (why === LEGACY_FILE && id !== undefined) bindLegacy(path, id, env);
  return false;
}

/** Makes missing state (unless the caller only reads it): true when a database was made now. */
function make(path: string, options: ClaimOptions, env: NodeJS.ProcessEnv): boolean {
  if (options.create === false) return false;
  if (options.folder) {
    createRecordedFolder(path, env);
    return false;
  }
  // Its folder was made by the claim lock (underClaimLock), as the state's own opener makes it.
  return createRecordedDatabase(path, env);
}

/**
 * A database an earlier Oxydra recorded gets its id inside and a record that says so. When the
 * file cannot be written (a read-only mount) it stays as it was: trusted on its old record
 * again next time, as every time before this version.
 */
function bindLegacy(path: string, id: string, env: NodeJS.ProcessEnv): void {
  try {
    writeIdInside(path, id);
    recordOrigin(path, false, env, basename(path), id);
  } catch {
    // left unbound; see above
  }
}

/**
 * A new database appears already holding its id (made under a private name, then linked into
 * place, which never replaces a file), its record written first: a second process opening it at
 * the same moment sees it missing or recorded, never unrecorded. Whichever process made it, both
 * end with the record of the id inside it.
 */
function createRecordedDatabase(path: string, env: NodeJS.ProcessEnv): boolean {
  const id = randomBytes(16).toString('hex');
  recordOrigin(path, false, env, basename(path), id);
  const temporary = temporaryBeside(path);
  try {
    writeIdInside(temporary, id, true);
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const inside = idInside(path);
    if ('id' in inside && inside.id !== id) recordOrigin(path, false, env, basename(path), inside.id);
    return false;
  } finally {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${temporary}${suffix}`, { force: true });
  }
}

/**
 * A new state folder appears with its record already inside (made under a private name, then
 * renamed into place), so a second process opening it at the same moment never sees it
 * unrecorded and sets it aside. If that process made it first, its folder is kept.
 */
function createRecordedFolder(path: string, env: NodeJS.ProcessEnv): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = temporaryBeside(path);
  mkdirSync(temporary, { mode: 0o700 });
  try {
    recordOrigin(temporary, true, env, basename(path));
    renameSync(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code !== 'EEXIST' && code !== 'ENOTEMPTY') || stateStanding(path, env).standing !== 'ours')
      throw error;
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
}

function readOrigin(path: string): [string, string] | undefined {
  const file = readSmallFile(path, { maxBytes: ORIGIN_MAX_BYTES, ownedByMe: true });
  if (!file.ok) return undefined;
  const match = /^([0-9a-f]{32}) ([0-9a-f]{64})\n?$/.exec(file.bytes.toString('utf8'));
  return match ? [match[1]!, match[2]!] : undefined;
}

/**
 * Written whole to a private temporary file, then renamed over the sidecar. A database's record
 * (given the id written inside it) is MAC'd under BOUND_TAG, a folder's under ORIGIN_TAG (given
 * its id: FOLDER_BOUND_TAG).
 */
export function recordOrigin(
  path: string,
  folder: boolean,
  env: NodeJS.ProcessEnv,
  name = basename(path),
  boundId?: string,
): void {
  const id = boundId ?? randomBytes(16).toString('hex');
  const tag = boundId === undefined ? ORIGIN_TAG : folder ? FOLDER_BOUND_TAG : BOUND_TAG;
  const target = originPath(path, folder);
  const temporary = temporaryBeside(target);
  try {
    writePrivateFile(temporary, `${id} ${macFor(name, id, env, tag)}\n`);
    renameSync(temporary, target);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/**
 * Why `path` cannot be written ("on a read-only file system"), or undefined when it can. For a
 * path that does not exist yet, the nearest existing folder decides (that is where it would be
 * created). access(W_OK) reports a read-only mount (EROFS) even to root, and permissions to
 * everyone else, without writing anything.
 */
export function writeProblem(path: string): string | undefined {
  let target = path;
  for (;;) {
    while (!existsSync(target) && dirname(target) !== target) target = dirname(target);
    try {
      accessSync(target, constants.W_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Gone since it was found (another opener set it aside this moment): its folder decides.
      if (code === 'ENOENT' && dirname(target) !== target) continue;
      const where = target === path ? '' : ` (${target} is where it would be created)`;
      return code === 'EROFS' ? `on a read-only file system${where}` : `not writable by this user${where}`;
    }
  }
}

export { WRITE_FIX } from '@oxydra/types';

/**
 * Where the memory database is: a remote URL, or memory.db_path resolved against the workspace.
 * A path spelled inside the workspace must stay inside it through links too (as skills' folders
 * must): an untrusted clone's `db_path = "m/memory.db"` with `m` linked to another project's
 * `.oxydra/` opened that project's notes and conversations (yours, with a valid record) for this
 * workspace's agents, whose files may steer them. A path spelled outside is held until trusted.
 * Only the folder is followed here: the file itself, if it is a link, is refused by its claim
 * (stateStanding), which says so in those words.
 */
export function memoryLocation(
  config: AgentConfig,
  workspace: string,
): { path: string } | { url: string; authToken?: string } {
  const { remote_url: url, auth_token: authToken, db_path: dbPath } = config.memory;
  if (url) return { url, ...(authToken ? { authToken } : {}) };
  const path = resolve(workspace, dbPath);
  const real = isInside(resolve(workspace), path)
    ? join(realPathOf(dirname(path)), basename(path))
    : undefined;
  if (real !== undefined && !isInside(realPathOf(workspace), real)) {
    throw new ConfigError(
      `memory.db_path ${visibleLine(dbPath)} leads out of ${visibleLine(workspace)} through a symbolic link (to ${visibleLine(real)}); a database inside the workspace must really be inside it`,
      { keyPath: 'memory.db_path' },
      { hint: 'remove the link, or name the folder you mean by its real (absolute) path' },
    );
  }
  return { path };
}

/** The real path of `path`, whose last parts may not exist yet (resolved through what does). */
function realPathOf(path: string): string {
  const rest: string[] = [];
  let existing = path;
  for (;;) {
    try {
      return join(realpathSync(existing), ...rest);
    } catch {
      if (dirname(existing) === existing) return path;
      rest.unshift(basename(existing));
      existing = dirname(existing);
    }
  }
}

/**
 * Sets aside a local memory database that did not come from this user (claimWorkspaceState) before
 * anything reads it, and records a new one as theirs. Every opener of the memory database calls
 * it first; a remote database is the user's own configuration. True when it made the file (new,
 * holding only its id: its opener may migrate it without syncs, deferredMemory's `beforeCreate`).
 */
export function claimMemory(
  location: ReturnType<typeof memoryLocation>,
  options: { create?: boolean } = {},
): boolean {
  return 'path' in location && claimWorkspaceState(location.path, options);
}

// ---- The id inside the database ----
/*
 * The origin id kept inside a state database (kernel.db, memory.db, channels.db), so that the
 * record beside it (above) vouches for this file's content and not only for its name.
 * Git overwrites an ignored file when a pulled commit tracks it: a repository that ignores
 * `.oxydra/kernel.db` and later force-adds its author's copy replaced the user's database on
 * `git pull`, and the user's own `kernel.db.origin`, still beside it, still checked. The author's
 * file cannot carry the user's id (it is random, and the record holding it is MAC'd with the
 * user's local key), so the two disagree and the file is set aside.
 *
 * One home for every libSQL state file, whoever opens it afterwards (the kernel's synchronous
 * binding, memory's async client, the channel host): the id is read and written here through
 * the synchronous binding, before and apart from the file's own opener. A database on
 * PostgreSQL or a remote libSQL URL is no file in the folder and is never claimed. It shares
 * this file with the record it completes because every run loads both: one module fewer on a
 * one-tool `oxydra run`, which is at its 120-file target.
 */

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

type InsideId = { id: string } | { none: true } | { problem: string };

/**
 * The origin id inside the database at `path` (read-only; through its WAL, as its opener would
 * see it): `{ none }` when it has no origin table (made by an Oxydra before this one, or not by
 * Oxydra), `{ problem }` when it cannot be read as one of ours at all.
 */
function idInside(path: string): InsideId {
  const problem = companionProblem(path);
  if (problem) return { problem };
  let db: InstanceType<typeof Database> | undefined;
  try {
    // Read-only by the URI's mode: libsql's Node binding ignores `{ readonly: true }` and opened
    // the file read-write, creating an empty one when it had gone since the claim's lstat (another
    // opener set it aside that moment), which then took the place of the fresh file being made.
    db = new Database(`${pathToFileURL(path).href}?mode=ro`, { timeout: BUSY_TIMEOUT_MS });
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
export function writeIdInside(path: string, id: string, fresh = false): void {
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
    // A new file under a private name holds nothing yet: its one transaction need not wait on
    // SQLite's four fsyncs (the rollback journal, its folder, the journal again, the file; up to
    // ~40 ms of a fresh gateway's start while other processes write to the disk). A crash before
    // its pages reach the disk leaves, once linked, a kernel.db with no id inside beside a record
    // that was synced: it is set aside (kept) and a new one made, and nothing was in it yet.
    if (fresh) db.pragma('synchronous=OFF');
    db.exec(
      `BEGIN IMMEDIATE; DROP TABLE IF EXISTS ${TABLE}; ${TABLE_SQL}; INSERT INTO ${TABLE} (id) VALUES ('${id}'); COMMIT;`,
    );
  } finally {
    db.close();
  }
}
