/** The user's secrets folders as paths: what commands cannot see and the file tools refuse. */
import { homedir } from 'node:os';
import path from 'node:path';
import { HOME_SECRET_FOLDERS, OXYDRA_HOME_FOLDERS } from '@oxydra/types';

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
