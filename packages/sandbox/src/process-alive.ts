import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The entries of `dir` named `<prefix><pid>-…` whose process is gone: what a process killed
 * outright left behind (its temp dirs, its cgroups). Never this process's own.
 */
export function leftByDeadProcesses(dir: string, prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => {
      if (!name.startsWith(prefix)) return false;
      const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
      return Number.isInteger(pid) && pid !== process.pid && !processAlive(pid);
    })
    .map((name) => path.join(dir, name));
}
