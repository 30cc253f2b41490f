/**
 * The workspace path policy every file tool goes through: paths are relative to the workspace
 * root (absolute ones only inside it), `..` may not climb out, and neither may a symbolic link.
 * The link check uses real paths, and for a path that does not exist yet the real path of its
 * deepest existing ancestor, so a write through `link/new.txt` is caught before it happens.
 */
import { lstatSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { OxydraError } from '@oxydra/types';

/** Oxydra's own folder (config with keys, the memory database): no tool may read or change it. */
export const INTERNAL_DIR = '.oxydra';

/** Symbolic links followed while resolving one path, as the kernel's own ELOOP limit. */
const MAX_LINK_HOPS = 40;

export class WorkspacePathError extends OxydraError {
  constructor(message: string) {
    super('tool_error', message);
  }
}

export interface ResolvedPath {
  /** Absolute path as named, links not followed: what to delete (a link, not its target). */
  absolute: string;
  /** Where it physically is, links followed: what to read and write. */
  real: string;
  /** Relative to the workspace root, `/`-separated, `.` for the root itself: for messages. */
  relative: string;
  /** The workspace root's real path. */
  realRoot: string;
  /**
   * Throws unless `real` is a place this path may be: inside the root, outside every denied
   * folder and `.oxydra/`. For the real path of what was actually opened, which a concurrent
   * writer may have moved since the check (see fs/anchored.ts).
   */
  confirm(real: string): void;
}

/**
 * Whether `path` is `root` or below it. Both are absolute and normalized here (resolve, join and
 * realpath results), so on POSIX a prefix test says what path.relative would, for a fraction of
 * its cost (it runs ~10 times per tool call); Windows paths compare case-insensitively and keep
 * path.relative.
 */
const isInside =
  process.platform === 'win32'
    ? (root: string, path: string): boolean => {
        const rel = relative(root, path);
        return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
      }
    : (root: string, path: string): boolean =>
        path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

const escapes = (path: string, why: string) =>
  new WorkspacePathError(`path escapes the workspace: ${path} (${why})`);

// The workspace root's real path, per root: every tool call resolves against it, and the root
// itself (chosen by the user, not reachable by tools) does not move during a run.
const realRoots = new Map<string, Promise<string>>();

function realRootOf(root: string): Promise<string> {
  let real = realRoots.get(root);
  if (!real) {
    real = realpath(root);
    realRoots.set(root, real);
    real.catch(() => realRoots.delete(root));
  }
  return real;
}

/** A folder inside (or outside) the workspace that the tools using this policy may not touch. */
export interface DeniedPath {
  /** Absolute path of the folder; compared by real path, so links into it are caught too. */
  path: string;
  /** Why, for the error: e.g. "the vault is readable only through vault_copyto". */
  reason: string;
}

export interface PathPolicy {
  deny?: readonly DeniedPath[];
}

interface DeniedEntry {
  real: string;
  reason: string;
}

/**
 * The denied folders' real paths (a missing one by its deepest existing ancestor). Resolved
 * synchronously: a few lstat/realpath calls per folder, ~3 µs each, where the same work through
 * fs/promises cost ~0.5 ms per tool call (thread-pool round trips, most of them failing for
 * folders that do not exist).
 *
 * A folder named inside the workspace (the vault, say), or one that contains it, is resolved
 * again on every call: the agent can create, move or re-link things there while a run goes on,
 * and a stale answer would let a tool through. A folder named outside the workspace whose real
 * path is outside it too (~/.ssh, ~/.aws...) keeps its real path for as long as one lstat of it
 * finds the same thing there (nothing, or the same file, link or folder): nothing the agent runs
 * can move the folders above it (commands run sandboxed, with the home folder private and the
 * system read-only; an unsandboxed command could read the secrets directly anyway), and while
 * it stays outside the workspace it can only contain paths the escape check refuses already.
 * Measured: a file_read with the default home folders denied went from ~44 lstat/realpath
 * calls to 7 lstats.
 */
interface DeniedRecord {
  denied: DeniedPath;
  named: string;
  /** What lstat found at `named` when `real` was resolved; undefined: resolve on every call. */
  stamp?: string;
  real: string;
}
/**
 * For the real paths resolved in one synchronous call (physicalPathSync's `known`): Linux only.
 * There realpath keeps each name as written (it follows links, nothing else), so a parent's real
 * path joined with the name is the same answer. Windows' realpath also settles a name's case and
 * short (8.3) form, and macOS's the case stored on disk (a case-insensitive volume): there a name
 * as written could differ from the real path a tool's target resolves to, and a denied folder
 * would no longer match.
 */
const newKnown = (): Map<string, string> | undefined =>
  process.platform === 'linux' ? new Map<string, string>() : undefined;

const deniedRecords = new WeakMap<PathPolicy, Map<string, DeniedRecord[]>>();

function stampOf(path: string): string {
  const stats = lstatQuiet(path);
  return stats === undefined ? 'missing' : `${stats.dev}:${stats.ino}:${stats.mode}`;
}

/**
 * Resolves a record's real path, and whether it may be kept (see realDenied). `known`: the real
 * paths of folders already resolved in this call (physicalPathSync).
 */
function settle(record: DeniedRecord, realRoot: string, known: Map<string, string> | undefined): void {
  const apart = (path: string) => !isInside(realRoot, path) && !isInside(path, realRoot);
  // Taken before the real path is resolved, so a change in between shows at the next call; only
  // a folder named apart from the workspace may keep its answer, so only it needs one.
  const stamp = apart(record.named) ? stampOf(record.named) : undefined;
  record.real = physicalPathSync(record.named, 0, known);
  if (stamp !== undefined && apart(record.real)) record.stamp = stamp;
  else delete record.stamp;
}

function realDenied(
  policy: PathPolicy,
  realRoot: string,
  known: Map<string, string> | undefined = newKnown(),
): DeniedEntry[] {
  const entries = policy.deny ?? [];
  if (entries.length === 0) return [];
  let byRoot = deniedRecords.get(policy);
  if (!byRoot) {
    byRoot = new Map();
    deniedRecords.set(policy, byRoot);
  }
  let records = byRoot.get(realRoot);
  // The denied folders mostly share their parents (the home folder): each is resolved once per
  // call, not once per folder (a workspace that is the home folder resolved ~30 folders each time,
  // ~250 system calls a file tool call, ~45 now: one lstat per folder). `known` (newKnown) holds
  // the folders resolved so far in this call.
  if (!records) {
    records = entries.map((denied) => {
      const record: DeniedRecord = { denied, named: resolve(denied.path), real: '' };
      settle(record, realRoot, known);
      return record;
    });
    byRoot.set(realRoot, records);
  } else {
    for (const record of records) {
      if (record.stamp === undefined || stampOf(record.named) !== record.stamp)
        settle(record, realRoot, known);
    }
  }
  return records.map((record) => ({ real: record.real, reason: record.denied.reason }));
}

/**
 * The denied folders lying inside `realDirectory` (a real path inside the workspace whose real
 * root is `realRoot`), relative to it and `/`-separated: what a recursive operation on that
 * directory must skip or refuse.
 */
export async function deniedWithin(
  realDirectory: string,
  policy: PathPolicy = {},
  realRoot: string = realDirectory,
): Promise<string[]> {
  const denied = realDenied(policy, realRoot);
  return denied
    .filter((entry) => isInside(realDirectory, entry.real))
    .map((entry) => relative(realDirectory, entry.real).split(sep).join('/') || '.');
}

export async function resolveWorkspacePath(
  workspace: string,
  path: string,
  policy: PathPolicy = {},
): Promise<ResolvedPath> {
  const root = resolve(workspace);
  const realRoot = await realRootOf(root);
  const named = path.trim() === '' ? '.' : path;

  const candidate = resolve(root, named);
  let rel: string;
  if (isInside(root, candidate)) rel = relative(root, candidate);
  // The workspace may be named through a link (/tmp on macOS): accept either spelling.
  else if (isAbsolute(named) && isInside(realRoot, candidate)) rel = relative(realRoot, candidate);
  else if (isAbsolute(named)) throw escapes(named, 'absolute paths must be inside it; prefer relative paths');
  else throw escapes(named, 'paths are relative to the workspace root');

  const absolute = join(root, rel);
  // The folders resolved in this call, starting from the root's real path (kept, as above): the
  // target's walk and the denied folders' stop there, or at a folder one of them resolved
  // already, instead of each going up to / (a workspace holding the home folder: ~70 system
  // calls a file tool call, ~40 now). Everything below the root is looked at again on every call.
  const known = newKnown();
  known?.set(root, realRoot);
  // Resolved now, on every call: a link made since the last call is followed to where it leads.
  const real = physicalPathOrError(absolute, named, known);
  const denied = realDenied(policy, realRoot, known);
  const confirm = (physical: string): void => {
    // Before the escape check, so a vault outside the workspace reached through a link gets the
    // message that names the right tool.
    for (const entry of denied) {
      if (isInside(entry.real, physical)) throw new WorkspacePathError(`${entry.reason}: ${named}`);
    }
    if (!isInside(realRoot, physical)) throw escapes(named, 'a symbolic link leads outside it');
    if (relative(realRoot, physical).split(sep)[0] === INTERNAL_DIR) throw internal(named);
  };
  confirm(real);
  if (rel.split(sep)[0] === INTERNAL_DIR) throw internal(named);
  return { absolute, real, relative: rel === '' ? '.' : rel.split(sep).join('/'), realRoot, confirm };
}

const internal = (named: string) =>
  new WorkspacePathError(
    `path is inside ${INTERNAL_DIR}/, Oxydra's own folder, which tools may not touch: ${named}`,
  );

const isMissing = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** lstat, undefined when nothing is there (ENOENT without an exception; ENOTDIR: an ancestor is a file). */
function lstatQuiet(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * physicalPathSync, with a link loop said in the model's terms (the fs message would name the
 * host path). Synchronous like the rest: a realpath of a path that exists is one system call of
 * ~10 µs, where a thread-pool round trip cost twice that and a promise.
 */
function physicalPathOrError(absolute: string, named: string, known?: Map<string, string>): string {
  try {
    return physicalPathSync(absolute, 0, known);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new WorkspacePathError(`too many symbolic links: ${named}`);
    }
    throw error;
  }
}

/**
 * The real path of `path`, or for a path that does not exist, the real path of its deepest
 * existing ancestor joined with the rest. A dangling link is followed by hand, since realpath
 * refuses it yet writing through it would create its target.
 *
 * Synchronous, and without an exception on the common paths (a path that exists, or one that
 * does not): a few lstat/realpath calls of a few microseconds each, where the same walk through
 * fs/promises costs a thread-pool round trip per step, most of them failing. `known` (real
 * paths resolved earlier in the same synchronous call) spares the walks up to the same folders.
 */
function physicalPathSync(path: string, hops = 0, known?: Map<string, string>): string {
  const rest: string[] = [];
  /** The paths found missing on the way up, deepest first (each is where its rest names lead). */
  const missing: string[] = [];
  // `base` (the real path of the deepest existing ancestor) joined with the missing names; each
  // missing path's own answer is kept in `known`, so another denied folder below it stops there.
  const answer = (base: string): string => {
    if (known)
      for (const [index, gone] of missing.entries())
        known.set(gone, join(base, ...rest.slice(0, rest.length - index)));
    return join(base, ...rest);
  };
  let current = path;
  for (;;) {
    // Resolved earlier in this call (the parent of a denied folder resolved before it).
    const already = known?.get(current);
    if (already !== undefined) return answer(already);
    const stats = lstatQuiet(current);
    if (stats !== undefined) {
      if (!stats.isSymbolicLink())
        return answer(known ? realOfNonLink(current, known) : realpathSync.native(current));
      try {
        return answer(realpathSync.native(current));
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      const target = readlinkQuiet(current);
      if (target !== undefined) {
        if (hops >= MAX_LINK_HOPS)
          throw Object.assign(new Error('too many symbolic links'), { code: 'ELOOP' });
        return physicalPathSync(join(resolve(dirname(current), target), ...rest), hops + 1);
      }
      // The link went away meanwhile: as for a missing path, go up.
    }
    const parent = dirname(current);
    if (parent === current) return answer(current);
    missing.push(current);
    rest.unshift(basename(current));
    current = parent;
  }
}

/**
 * realpath of `path`, which exists and is not a symbolic link (its lstat said so): its parent's
 * real path and its own name, the parent's resolved the same way (realpath when it is a link),
 * each kept in `known` for the rest of the call. The same answer as realpath, from one lstat per
 * folder not yet known instead of a readlink per component of every path.
 */
function realOfNonLink(path: string, known: Map<string, string>): string {
  let real = known.get(path);
  if (real !== undefined) return real;
  const parent = dirname(path);
  if (parent === path) real = realpathSync.native(path);
  else {
    let parentReal = known.get(parent);
    if (parentReal === undefined) {
      const stats = lstatQuiet(parent);
      parentReal =
        stats !== undefined && !stats.isSymbolicLink()
          ? realOfNonLink(parent, known)
          : realpathSync.native(parent);
      known.set(parent, parentReal);
    }
    real = join(parentReal, basename(path));
  }
  known.set(path, real);
  return real;
}

function readlinkQuiet(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
