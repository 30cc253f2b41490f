/**
 * Finding the workspace a command started in: the nearest folder at or above the start that
 * holds a `.oxydra/` folder, as git finds `.git`, so `oxydra run` works from a subfolder.
 *
 * The upward walk is where another local user can plant configuration for you (git closed the
 * same hole in CVE-2022-24765), so it never adopts a folder it should not:
 * - a `.oxydra/` (or the folder holding it) owned by someone other than you or root;
 * - a `.oxydra` that is a symbolic link or not a folder;
 * - anything at or above a world-writable or sticky folder (/tmp, /var/tmp, a shared drop box);
 * - the filesystem root, or the folder holding home folders (/home, the parent of $HOME).
 * The start folder itself is always the workspace when nothing above is adopted.
 */
import { lstatSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface Discovery {
  root: string;
  /** What the walk refused, one line each, for stderr. */
  notes: string[];
}

export interface DiscoverOptions {
  env?: NodeJS.ProcessEnv;
  /** The user the walk runs for (default: this process's). */
  uid?: number;
}

export function discoverWorkspace(start: string, options: DiscoverOptions = {}): Discovery {
  const from = resolve(start);
  const uid = options.uid ?? process.getuid?.();
  const env = options.env ?? process.env;
  const homeParents = new Set([dirname(resolve(env.HOME || homedir())), '/home']);
  const notes: string[] = [];
  const ownedByOther = (stat: Stats) => uid !== undefined && stat.uid !== uid && stat.uid !== 0;

  for (let dir = from; ; dir = dirname(dir)) {
    const above = dir !== from;
    if (above) {
      const stop = boundary(dir, homeParents, ownedByOther);
      if (stop) {
        if (isDirectory(join(dir, '.oxydra'))) notes.push(`ignored ${join(dir, '.oxydra')}: ${stop}`);
        return { root: from, notes };
      }
    }
    const candidate = join(dir, '.oxydra');
    const stat = lstatOrUndefined(candidate);
    if (stat) {
      if (stat.isSymbolicLink()) {
        notes.push(
          `ignored ${candidate}: it is a symbolic link (a workspace's .oxydra must be a real folder)`,
        );
      } else if (stat.isDirectory()) {
        if (!(above && ownedByOther(stat))) return { root: dir, notes };
        notes.push(`ignored ${candidate}: it belongs to uid ${stat.uid}, not you`);
        return { root: from, notes };
      }
    }
    if (dirname(dir) === dir) return { root: from, notes };
  }
}

/** Why the walk must not go to `dir` (or past it), or undefined to go on. */
function boundary(
  dir: string,
  homeParents: ReadonlySet<string>,
  ownedByOther: (stat: Stats) => boolean,
): string | undefined {
  if (dirname(dir) === dir) return 'the filesystem root is never a workspace found by searching upwards';
  if (homeParents.has(dir))
    return 'the folder holding home folders is never a workspace found by searching upwards';
  const stat = lstatOrUndefined(dir);
  if (!stat) return 'the folder cannot be read';
  if (stat.mode & 0o1000) return `${dir} is sticky (shared by every user), so its .oxydra could be anyone's`;
  if (stat.mode & 0o002) return `${dir} is world-writable, so its .oxydra could be anyone's`;
  if (ownedByOther(stat)) return `${dir} belongs to uid ${stat.uid}, not you`;
  return undefined;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  return lstatOrUndefined(path)?.isDirectory() ?? false;
}
