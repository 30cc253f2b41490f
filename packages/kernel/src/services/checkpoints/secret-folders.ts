/**
 * The user's secret folders (~/.ssh, ~/.aws, ~/.gnupg) and Oxydra's own (~/.config/oxydra with
 * the local key, ~/.cache/oxydra) when the workspace contains the home folder. Commands never see
 * them and the file tools refuse them, so a checkpoint never holds them either: its copy would
 * outlive the folder (a key removed, a token revoked), and a replay's scratch copy, which is
 * outside the home folder and so not masked, would hand them to the replayed commands.
 */
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import { HOME_SECRET_FOLDERS, OXYDRA_HOME_FOLDERS } from '@oxydra/types';

/** Those folders inside `workspace` (a real path), workspace-relative and `/`-separated. */
export function secretFoldersIn(workspace: string, home = homedir()): string[] {
  let realHome: string;
  try {
    realHome = realpathSync(home);
  } catch {
    return [];
  }
  const folders = [
    ...HOME_SECRET_FOLDERS.map((name) => [name]),
    [...OXYDRA_HOME_FOLDERS.config],
    [...OXYDRA_HOME_FOLDERS.cache],
  ];
  const inside: string[] = [];
  for (const parts of folders) {
    const rel = relative(workspace, join(realHome, ...parts));
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) inside.push(rel.split(sep).join('/'));
  }
  return inside;
}

/** True when `path` (workspace-relative) is one of `folders` or inside one. */
export function inSecretFolder(path: string, folders: readonly string[]): boolean {
  return folders.some((folder) => path === folder || path.startsWith(`${folder}/`));
}
