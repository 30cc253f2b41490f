/**
 * Resource limits. CPU time, address space and file size are rlimits, set by prlimit(1) inside the sandbox
 * just before the shell (the command cannot raise them: bwrap drops every capability). The process
 * count cannot be an rlimit for root: the kernel exempts uid 0 from RLIMIT_NPROC even in a user
 * namespace with no capabilities (measured here: 40 forks pass a limit of 20). So processes are
 * capped by a pids cgroup around bwrap when one can be created (root, or a delegated cgroup), and
 * by RLIMIT_NPROC otherwise, which does hold for ordinary users.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SandboxPolicy } from '@oxydra/types';
import { pidsCgroupParent } from './cgroup-parent.js';
import { leftByDeadProcesses } from './process-alive.js';

export type Limits = NonNullable<SandboxPolicy['limits']>;

const PRLIMIT = '/usr/bin/prlimit';

/** The argv prefix applying CPU, memory and (for non-root) process rlimits; [] without limits. */
export function prlimitPrefix(limits: Limits | undefined): string[] {
  if (limits === undefined) return [];
  const flags: string[] = [];
  if (limits.cpuSeconds !== undefined) flags.push(`--cpu=${Math.max(1, Math.ceil(limits.cpuSeconds))}`);
  if (limits.memoryMiB !== undefined) flags.push(`--as=${Math.floor(limits.memoryMiB * 1024 * 1024)}`);
  if (limits.processes !== undefined) flags.push(`--nproc=${Math.max(1, Math.floor(limits.processes))}`);
  // A larger write fails with EFBIG (SIGXFSZ, which kills by default): no single file, in the
  // workspace or /tmp, can eat the host's disk.
  if (limits.fileSizeMiB !== undefined) flags.push(`--fsize=${Math.floor(limits.fileSizeMiB * 1024 * 1024)}`);
  return flags.length === 0 ? [] : [PRLIMIT, ...flags, '--'];
}

export interface PidsCgroup {
  readonly dir: string;
  /**
   * SIGKILLs every process in the cgroup, synchronously: whatever session, group or pid namespace
   * it moved to, nothing counted by the cgroup survives this. Best effort; never throws.
   */
  killAll(): void;
  /** Removes the cgroup; tolerates it being busy for a moment while the sandbox's processes exit. */
  remove(): Promise<void>;
  /** One synchronous attempt (a process exiting); a cgroup still busy is left to the next sweep. */
  removeNow(): void;
}

/** A fresh pids cgroup with pids.max set, or undefined when this process may not create one. */
const CGROUP_PREFIX = 'oxydra-sandbox-';
/** Cgroups of this process not removed yet: removed (if empty) when it exits. */
const ownCgroups = new Set<string>();
let sweptParent: string | undefined;

/**
 * Removes the empty cgroups that dead oxydra processes left (a CLI that exited while a
 * cancelled command was still dying cannot wait to remove its cgroup). Once per process.
 */
function sweepStaleCgroups(parent: string): void {
  if (sweptParent === parent) return;
  sweptParent = parent;
  for (const dir of leftByDeadProcesses(parent, CGROUP_PREFIX)) {
    try {
      rmdirSync(dir); // fails, harmlessly, while a process is still inside
    } catch {
      // Still populated, or already gone.
    }
  }
  process.once('exit', () => {
    for (const dir of ownCgroups) {
      try {
        rmdirSync(dir);
      } catch {
        // A process is still dying inside; the next oxydra's sweep removes it.
      }
    }
  });
}

export function createPidsCgroup(maxProcesses: number): PidsCgroup | undefined {
  const parent = pidsCgroupParent();
  if (parent === undefined) return undefined;
  sweepStaleCgroups(parent);
  const dir = path.join(parent, `${CGROUP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    mkdirSync(dir);
  } catch {
    return undefined;
  }
  ownCgroups.add(dir);
  try {
    writeFileSync(path.join(dir, 'pids.max'), String(Math.max(1, Math.floor(maxProcesses))));
  } catch {
    // v2 without pids enabled in the parent's subtree_control: the file does not exist.
    rmdirSync(dir);
    ownCgroups.delete(dir);
    return undefined;
  }
  return {
    dir,
    killAll: () => killCgroup(dir),
    removeNow() {
      try {
        rmdirSync(dir);
        ownCgroups.delete(dir);
      } catch {
        // Busy or gone.
      }
    },
    async remove() {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          rmdirSync(dir);
          ownCgroups.delete(dir);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            ownCgroups.delete(dir);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
  };
}

function killCgroup(dir: string): void {
  try {
    // cgroup v2 (Linux 5.14+): one write kills the whole cgroup, race-free against forks.
    writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    return;
  } catch {
    // v1, an older kernel, or the cgroup is already gone.
  }
  // Otherwise: kill the members one by one, a few rounds in case one forked meanwhile.
  for (let round = 0; round < 3; round++) {
    let pids: number[];
    try {
      pids = readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return;
    }
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ESRCH: already gone.
      }
    }
  }
}

/**
 * Wraps an argv so that it starts inside the cgroup: a shell moves itself in, then becomes the
 * command (exec), so bwrap and everything under it are counted from their first fork.
 */
export function inCgroup(cgroup: PidsCgroup, argv: string[]): string[] {
  return ['/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup.dir, ...argv];
}
