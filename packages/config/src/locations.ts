/** Where configuration files are looked for, lowest precedence first, and which folder is the workspace. */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { OXYDRA_FOLDER_NAME, OXYDRA_HOME_FOLDERS, WORKSPACE_STATE_FOLDER } from '@oxydra/types';
import { discoverWorkspace } from './discovery.js';

export const AGENT_CONFIG_FILES = ['agent.toml', 'providers.toml'] as const;

export type ConfigScope = 'system' | 'user' | 'workspace';

export interface ConfigDirectory {
  scope: ConfigScope;
  path: string;
}

/**
 * The workspace a command started in `start` belongs to (see discovery.ts for the walk and what
 * it refuses). What it refused is said on stderr, once per process and folder.
 */
export function findWorkspaceRoot(start: string = process.cwd()): string {
  const { root, notes } = discoverWorkspace(start);
  for (const note of notes) {
    if (saidNotes.has(note)) continue;
    saidNotes.add(note);
    process.stderr.write(`oxydra: ${note}\n`);
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
