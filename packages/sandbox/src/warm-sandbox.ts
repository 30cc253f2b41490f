/**
 * A sandbox started ahead of its command. bwrap is spawned with everything but its last
 * arguments, which it reads from a pipe (`--args 4`) and blocks on: the process already exists,
 * is already in its pids cgroup, and its mounts are already decided. A command then costs one
 * write. One waits per runner, and it is stopped after a while without a command, and when the
 * process exits.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { abandonProcessGroup, type ProcessLaunch, startProcessGroup } from './process-group.js';

/** The descriptor bwrap reads its last arguments from. */
export const ARGS_FD = 4;
const DEFAULT_IDLE_MS = 30_000;

export interface WarmSandboxSpec {
  argv: string[];
  /** The seccomp program, handed over as fd 3 (undefined: no filter). */
  filterFd: number | undefined;
  /** The mounts it was started with, to compare with what a command would get now. */
  sandboxArgs: string[];
  cleanup: () => Promise<void>;
  /** Synchronous removal of what it holds, for a process that is exiting. */
  removeNow: () => void;
  killAll?: () => void;
}

export interface WarmSandbox {
  child: ChildProcess;
  sandboxArgs: string[];
  launch: Pick<ProcessLaunch, 'cleanup' | 'killAll'>;
  /** Stops it unused, and removes its cgroup once it is gone. */
  discard(): void;
  /** Removes its cgroup, if already empty, at once: for a process that is exiting. */
  removeNow(): void;
}

/**
 * Sends bwrap its last arguments (NUL-separated) and closes the pipe, which starts the command.
 * An argument holding a NUL would split into two and could smuggle in a bwrap option: refused,
 * as spawn() refuses one in an argv.
 */
export function dispatchArgs(sandbox: WarmSandbox, args: readonly string[]): void {
  if (args.some((arg) => arg.includes('\0'))) {
    throw new TypeError('a command, its directory or its environment contains a NUL byte');
  }
  const pipe = sandbox.child.stdio[ARGS_FD] as Writable | null;
  if (!pipe) throw new Error('the sandbox has no argument pipe');
  pipe.on('error', () => {}); // bwrap gone early: its exit is what the supervisor reports
  holdProcess(sandbox.child, true);
  pipe.end(args.map((arg) => `${arg}\0`).join(''));
}

/**
 * Whether it can still take a command. A process killed from outside is a zombie until Node
 * reaps it, and exitCode says nothing before then: /proc says so at once.
 */
function isRunning(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return false;
  }
}

/** A waiting sandbox must not keep the process alive; one running a command must. */
function holdProcess(child: ChildProcess, hold: boolean): void {
  for (const handle of [child, ...child.stdio]) {
    const refable = handle as { ref?: () => void; unref?: () => void } | null;
    if (hold) refable?.ref?.();
    else refable?.unref?.();
  }
}

/** At most one sandbox waiting for the next command of a runner. */
export class WarmSlot {
  private waiting: WarmSandbox | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs = DEFAULT_IDLE_MS) {}

  static start(spec: WarmSandboxSpec): WarmSandbox {
    const launch = {
      cleanup: spec.cleanup,
      removeNow: spec.removeNow,
      ...(spec.killAll ? { killAll: spec.killAll } : {}),
    };
    const child = startProcessGroup(
      spec.argv,
      { cwd: '/', env: {}, ...launch, ...(spec.filterFd === undefined ? {} : { extraFds: [spec.filterFd] }) },
      [spec.filterFd ?? 'ignore', 'pipe'],
    );
    holdProcess(child, false);
    let discarded = false;
    return {
      child,
      sandboxArgs: spec.sandboxArgs,
      launch,
      discard() {
        if (discarded) return;
        discarded = true;
        abandonProcessGroup(child, spec.killAll, () => void spec.cleanup().catch(() => {}));
      },
      removeNow: spec.removeNow,
    };
  }

  /** The waiting sandbox if it is still running and `usable` accepts it; else it is discarded. */
  take(usable: (sandbox: WarmSandbox) => boolean): WarmSandbox | undefined {
    const sandbox = this.waiting;
    this.clear();
    if (sandbox === undefined) return undefined;
    if (isRunning(sandbox.child) && usable(sandbox)) return sandbox;
    sandbox.discard();
    return undefined;
  }

  /** Starts the next one unless one is waiting. A failure here is left to the next command. */
  refill(start: () => WarmSandbox): void {
    if (this.waiting !== undefined) return;
    let sandbox: WarmSandbox;
    try {
      sandbox = start();
    } catch {
      return;
    }
    this.waiting = sandbox;
    this.idleTimer = setTimeout(() => {
      if (this.waiting === sandbox) {
        this.clear();
        sandbox.discard();
      }
    }, this.idleMs);
    this.idleTimer.unref();
    // Killed, and its files removed, by the process-group exit hook if the process exits first.
  }

  private clear(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.waiting = undefined;
  }
}
