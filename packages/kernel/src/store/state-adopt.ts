/**
 * `oxydra trust --adopt-state`: records state that exists as this user's own. Apart from the
 * claim (state-origin.ts) because only that command adopts.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '@oxydra/types';
import { recordOrigin, stateStanding, writeIdInside } from './state-origin.js';

/**
 * Records state that exists as this user's own: `oxydra trust --adopt-state`, for state an
 * earlier Oxydra made before sidecars existed, or a set-aside file the user moved back.
 * Refuses a link or another user's file: adopting those would hand them the workspace.
 */
export function adoptWorkspaceState(path: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const { standing, why } = stateStanding(path, env);
  if (standing === 'missing' || standing === 'ours') return false;
  if (why === 'it is a symbolic link' || why?.startsWith('it belongs to uid')) {
    throw new UsageError(`cannot adopt ${path}: ${why}`, {
      hint: 'move it away; Oxydra makes a fresh one',
    });
  }
  if (lstatSync(path).isDirectory()) {
    recordOrigin(path, true, env);
  } else {
    const id = randomBytes(16).toString('hex');
    writeIdInside(path, id);
    recordOrigin(path, false, env, basename(path), id);
  }
  return true;
}
