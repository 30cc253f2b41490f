/**
 * A workspace that is, or contains, the user's home folder. Commands and the file tools may change
 * the user's files there, but what runs later outside the sandbox must stay out of their reach:
 * shell start-up files (~/.bashrc, ~/.profile), ~/.local (its bin is on PATH, its site-packages
 * run at every python start), ~/.config, ~/.cache (Oxydra's own code cache among them), git's and
 * npm's settings. Rule: the hidden entries at the top of the home folder are read-only to
 * commands, and no new ones can be created there (bubblewrap: the home folder is bound read-only
 * and each of its visible entries is bound writable again); the file tools refuse them.
 */

import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { HOME_SECRET_FOLDERS, OXYDRA_HOME_FOLDERS } from '@oxydra/types';

/**
 * Hidden entries a program reads and runs, refused to the file tools even before they exist (the
 * sandbox covers every hidden entry, and creation, by its read-only home).
 */
export const HOME_STARTUP_ENTRIES = [
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.bash_aliases',
  '.profile',
  '.zshrc',
  '.zshenv',
  '.zprofile',
  '.zlogin',
  '.zlogout',
  '.pam_environment',
  '.xprofile',
  '.xsession',
  '.xsessionrc',
  '.xinitrc',
  '.inputrc',
  '.vimrc',
  '.emacs',
  '.emacs.d',
  '.gitconfig',
  '.npmrc',
  '.config',
  '.local',
  '.cache',
] as const;

/** True when `home` is `workspace` or inside it. */
export function homeInsideWorkspace(workspace: string, home: string): boolean {
  const relative = path.relative(path.resolve(workspace), path.resolve(home));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * What the file tools refuse in such a workspace: the start-up entries, and every hidden entry at
 * the top of the home folder as it is now. Empty when the home folder is outside the workspace
 * (the file tools cannot reach it then anyway).
 */
export function homeGuardedPaths(workspace: string, home: string): string[] {
  if (!homeInsideWorkspace(workspace, home)) return [];
  const names = new Set<string>(HOME_STARTUP_ENTRIES);
  for (const name of topLevelNames(home)) if (name.startsWith('.')) names.add(name);
  return [...names].map((name) => path.join(home, name));
}

/**
 * bubblewrap arguments, after the workspace's own bind: the home folder read-only, then each
 * visible real file or folder in it writable again. Links are not re-bound: bwrap would follow
 * one and bind its target (possibly outside the workspace) writable.
 */
export function bwrapHomeGuardArgs(workspace: string, home: string): string[] {
  if (!homeInsideWorkspace(workspace, home)) return [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(home, { withFileTypes: true });
  } catch {
    return [];
  }
  const args = ['--ro-bind', home, home];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (!entry.isDirectory() && !entry.isFile()) continue;
    const inner = path.join(home, entry.name);
    args.push('--bind', inner, inner);
  }
  return args;
}

function topLevelNames(home: string): string[] {
  try {
    return readdirSync(home);
  } catch {
    return [];
  }
}

/** The user's secrets folders as paths: what commands cannot see and the file tools refuse. */

/**
 * The user's secrets folders (@oxydra/types' one list): hidden from commands and refused to the
 * file tools alike. Oxydra's code cache among them: what a command could write there would run
 * at the next `oxydra`.
 */
export function homeSecretPaths(home = homedir()): string[] {
  // Joined here, not in @oxydra/types: the dashboard bundles that package, and node:path with it.
  return [
    ...HOME_SECRET_FOLDERS.map((name) => path.join(home, name)),
    path.join(home, ...OXYDRA_HOME_FOLDERS.config),
    path.join(home, ...OXYDRA_HOME_FOLDERS.cache),
  ];
}
