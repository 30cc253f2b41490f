/**
 * Where installed programs live, in the user's configuration folder (honouring XDG_CONFIG_HOME):
 *
 *   programs/<name>                     a symbolic link to the version in use
 *   programs/.versions/<name>-<v>-<r>/  each installed version, complete before the link moves
 *   programs/state.json                 enabled or not, where from, missing optional host tools
 */
import { join } from 'node:path';
import { userConfigDirectory } from '@oxydra/config';

export interface ProgramsPlace {
  env: NodeJS.ProcessEnv;
  /** The workspace (only to locate configuration; programs are the user's, for every workspace). */
  cwd?: string;
}

export function programsDirectory(place: ProgramsPlace): string {
  return join(userConfigDirectory({ env: place.env, cwd: place.cwd ?? process.cwd() }), 'programs');
}

export const VERSIONS_DIR = '.versions';
export const STATE_FILE = 'state.json';
