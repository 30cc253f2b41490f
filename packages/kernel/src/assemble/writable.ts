/**
 * Can this process write here? For a path that does not exist yet, the nearest existing folder
 * decides (that is where it would be created). access(W_OK) reports a read-only mount (EROFS)
 * even to root, and permissions to everyone else, without writing anything.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';

/** Why `path` cannot be written ("on a read-only file system"), or undefined when it can. */
export function writeProblem(path: string): string | undefined {
  let target = path;
  while (!existsSync(target) && dirname(target) !== target) target = dirname(target);
  try {
    accessSync(target, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = target === path ? '' : ` (${target} is where it would be created)`;
    return code === 'EROFS' ? `on a read-only file system${where}` : `not writable by this user${where}`;
  }
}

export const WRITE_FIX = 'run Oxydra in a folder you can write to, or fix its permissions or mount';
