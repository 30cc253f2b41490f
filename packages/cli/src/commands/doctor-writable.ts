/**
 * Doctor's write checks: the workspace, its .oxydra/ folder and the memory database must be
 * writable, or the first run fails half-way (sessions cannot be stored, files not written).
 * access(W_OK) also reports a read-only mount (EROFS), even to root.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Check } from './doctor-check.js';

function writable(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EROFS' ? 'on a read-only file system' : 'not writable by this user';
  }
}

export function writableChecks(workspace: string, databasePath: string | undefined): Check[] {
  const targets = [
    { name: 'workspace', path: workspace },
    { name: '.oxydra', path: join(workspace, '.oxydra') },
    ...(databasePath ? [{ name: 'memory file', path: databasePath }] : []),
  ];
  return targets
    .filter((target) => target.name === 'workspace' || existsSync(target.path))
    .map((target) => {
      const problem = writable(target.path);
      return problem
        ? {
            name: target.name,
            status: 'fail',
            detail: `${target.path} is ${problem}`,
            fix: 'run Oxydra in a folder you can write to, or fix its permissions / mount',
          }
        : { name: target.name, status: 'ok', detail: `${target.path} is writable` };
    });
}
