/** Where configuration files are looked for, lowest precedence first, and which folder is the workspace. */
import { lstatSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { OXYDRA_FOLDER_NAME, OXYDRA_HOME_FOLDERS, visibleLine, WORKSPACE_STATE_FOLDER } from '@oxydra/types';

export const AGENT_CONFIG_FILES = ['agent.toml', 'providers.toml'] as const;

export type ConfigScope = 'system' | 'user' | 'workspace';

export interface ConfigDirectory {
  scope: ConfigScope;
  path: string;
}

/**
 * The workspace a command started in `start` belongs to (see discoverWorkspace below for the
 * walk and what it refuses). What it refused is said on stderr, once per process and folder.
 */
export function findWorkspaceRoot(start: string = process.cwd()): string {
  const { root, notes } = discoverWorkspace(start);
  for (const note of notes) {
    if (saidNotes.has(note)) continue;
    saidNotes.add(note);
    // Folder names are anyone's (an archive's, a repository's): their controls are written out.
    process.stderr.write(`oxydra: ${visibleLine(note)}\n`);
  }
  return root;
}

const saidNotes = new Set<string>();

export interface LocateOptions {
  /** Workspace directory; its `.oxydra/` holds the workspace layer. Default: findWorkspaceRoot(). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The three file layers: /etc/oxydra < ~/.config/oxydra < ./.oxydra.
 * OXYDRA_SYSTEM_CONFIG_DIR and XDG_CONFIG_HOME move the first two (used by tests and packagers).
 */
export function configDirectories(options: LocateOptions = {}): ConfigDirectory[] {
  const env = options.env ?? process.env;
  const cwd = resolve(options.cwd ?? findWorkspaceRoot());
  const home = env.HOME || homedir();
  // A relative XDG_CONFIG_HOME is ignored, as the XDG spec says: it would put the user's layer
  // (and any key in it) inside whatever folder the command runs in, e.g. a cloned repository.
  const xdg = env.XDG_CONFIG_HOME;
  const userBase = xdg && isAbsolute(xdg) ? xdg : join(home, '.config');
  return [
    { scope: 'system', path: env.OXYDRA_SYSTEM_CONFIG_DIR || '/etc/oxydra' },
    { scope: 'user', path: join(userBase, OXYDRA_FOLDER_NAME) },
    { scope: 'workspace', path: join(cwd, WORKSPACE_STATE_FOLDER) },
  ];
}

/**
 * Every folder where Oxydra keeps configuration, keys, the gateway token or its caches: the three
 * layers (the system one may hold api_key too), ~/.config/oxydra even when XDG_CONFIG_HOME moves
 * the user layer elsewhere, and ~/.cache/oxydra (and $XDG_CACHE_HOME/oxydra). The sandbox hides them from commands and the file tools refuse them, from
 * this one list, so what is protected is always what the loader and the token code read.
 */
export function oxydraSecretDirectories(options: LocateOptions = {}): string[] {
  const env = options.env ?? process.env;
  const home = env.HOME || homedir();
  const defaultUser = join(home, ...OXYDRA_HOME_FOLDERS.config);
  const layers = configDirectories(options).map((dir) => resolve(dir.path));
  // The cache folders too: the code cache runs at the next `oxydra` command, outside the sandbox.
  const caches = [join(home, ...OXYDRA_HOME_FOLDERS.cache)];
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME))
    caches.push(join(env.XDG_CACHE_HOME, OXYDRA_FOLDER_NAME));
  return [...new Set([...layers, defaultUser, ...caches])];
}

export function userConfigDirectory(options: LocateOptions = {}): string {
  return configDirectories(options)[1]!.path;
}

export function workspaceConfigDirectory(options: LocateOptions = {}): string {
  return configDirectories(options)[2]!.path;
}

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
