import { readdirSync, readFileSync } from 'node:fs';
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
 * Field 22 of /proc/<pid>/stat, when the process started (clock ticks after boot): with the pid it
 * names one process, where a pid alone may since have been given to another. null where there is
 * no /proc (macOS) or it cannot be read.
 */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/**
 * Whether the process that recorded itself as `pid` started at `started` still runs: alive, and
 * not a newer process given the same pid. Without a recorded or a current start time (no /proc),
 * the pid alone says.
 */
export function sameProcessAlive(pid: number, started: number | null): boolean {
  if (!processAlive(pid)) return false;
  const now = processStartTime(pid);
  return started === null || now === null || now === started;
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
