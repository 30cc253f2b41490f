/**
 * Doctor's write checks: the workspace, its .oxydra/ folder and the memory database must be
 * writable, or the first run fails half-way (sessions cannot be stored, files not written).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WRITE_FIX, writeProblem } from '@oxydra/kernel/workspace';
import type { Check } from './doctor-check.js';

export function writableChecks(workspace: string, databasePath: string | undefined): Check[] {
  const targets = [
    { name: 'workspace', path: workspace },
    { name: '.oxydra', path: join(workspace, '.oxydra') },
    ...(databasePath ? [{ name: 'memory file', path: databasePath }] : []),
  ];
  return targets
    .filter((target) => target.name === 'workspace' || existsSync(target.path))
    .map((target): Check => {
      const problem = writeProblem(target.path);
      return problem
        ? { name: target.name, status: 'fail', detail: `${target.path} is ${problem}`, fix: WRITE_FIX }
        : { name: target.name, status: 'ok', detail: `${target.path} is writable` };
    });
}
