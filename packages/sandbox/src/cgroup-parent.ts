/**
 * Whether this process can put commands in a pids cgroup, asked without creating one: the start-up
 * summary says whether max_processes holds, and limits.ts creates the cgroups.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where this process may create a pids cgroup: the cgroup v2 root when it hands the pids
 * controller to its children (subtree_control), or the v1 pids tree; writable either way.
 */
export function pidsCgroupParent(): string | undefined {
  const v2 = '/sys/fs/cgroup';
  const v1 = '/sys/fs/cgroup/pids';
  let parent: string | undefined;
  try {
    if (readFileSync(path.join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('pids'))
      parent = v2;
  } catch {
    // Not cgroup v2 at the usual place.
  }
  if (parent === undefined && existsSync(path.join(v1, 'cgroup.procs'))) parent = v1;
  if (parent === undefined) return undefined;
  try {
    accessSync(parent, constants.W_OK);
    return parent;
  } catch {
    return undefined;
  }
}

/**
 * Whether max_processes is really enforced here: by a pids cgroup, or (not for root, whom the
 * kernel exempts) by RLIMIT_NPROC.
 */
export function processLimitEnforced(): boolean {
  // No cgroup is created to find out: creating and removing one can each wait out a kernel RCU
  // grace period, which would land on every run's start-up.
  return process.getuid?.() !== 0 || pidsCgroupParent() !== undefined;
}
