/** Where configuration files are looked for, lowest precedence first, and which folder is the workspace. */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const AGENT_CONFIG_FILES = ['agent.toml', 'providers.toml'] as const;

export type ConfigScope = 'system' | 'user' | 'workspace';

export interface ConfigDirectory {
  scope: ConfigScope;
  path: string;
}

/**
 * The workspace a command started in `start` belongs to: the nearest folder at or above it
 * holding a `.oxydra/` folder, as git finds `.git`, so `oxydra run` works from a subfolder.
 * Without one anywhere above, `start` itself.
 */
export function findWorkspaceRoot(start: string = process.cwd()): string {
  const from = resolve(start);
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      if (statSync(join(dir, '.oxydra')).isDirectory()) return dir;
    } catch {
      // not here; look one level up
    }
    if (dirname(dir) === dir) return from;
  }
}

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
  const userBase = env.XDG_CONFIG_HOME || join(home, '.config');
  return [
    { scope: 'system', path: env.OXYDRA_SYSTEM_CONFIG_DIR || '/etc/oxydra' },
    { scope: 'user', path: join(userBase, 'oxydra') },
    { scope: 'workspace', path: join(cwd, '.oxydra') },
  ];
}

/**
 * Every folder where Oxydra keeps configuration, keys or the gateway token: the three layers
 * (the system one may hold api_key too), and ~/.config/oxydra even when XDG_CONFIG_HOME moves the
 * user layer elsewhere. The sandbox hides them from commands and the file tools refuse them, from
 * this one list, so what is protected is always what the loader and the token code read.
 */
export function oxydraSecretDirectories(options: LocateOptions = {}): string[] {
  const env = options.env ?? process.env;
  const defaultUser = join(env.HOME || homedir(), '.config', 'oxydra');
  const layers = configDirectories(options).map((dir) => resolve(dir.path));
  return [...new Set([...layers, defaultUser])];
}

export function userConfigDirectory(options: LocateOptions = {}): string {
  return configDirectories(options)[1]!.path;
}

export function workspaceConfigDirectory(options: LocateOptions = {}): string {
  return configDirectories(options)[2]!.path;
}
