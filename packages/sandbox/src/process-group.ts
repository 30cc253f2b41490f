/**
 * Runs a program in its own process group, so that a timeout, a cancellation or the end of the
 * program stops everything it started: `sh -c 'server & tests'` leaves no server behind. Both
 * shell_exec's direct runner and the bubblewrap runner are this, with a different argv.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { withInheritedCovered } from './inherited-fds.js';
import { HeadTailBuffer } from './output-buffer.js';
import {
  type CommandResult,
  cancelledBeforeStart,
  DEFAULT_COMMAND_OUTPUT_BYTES,
  DEFAULT_KILL_GRACE_MS,
  type RunCommandOptions,
} from './types.js';

/** After the last SIGKILL: a process that left the group may still hold our pipes; stop waiting. */
const PIPE_DRAIN_MS = 1000;

/**
 * Groups still running, each with its launcher's extra way to kill everything it started. A
 * cancelled run ends without waiting for its tools (a tool that ignores its signal must not hang
 * the run), and the CLI then exits: before it does, every group still here is killed, so no
 * command outlives the process that started it. (A SIGKILLed parent cannot run this; the
 * sandbox's --die-with-parent is the guard there.)
 */
const liveGroups = new Map<number, Pick<ProcessLaunch, 'killAll' | 'removeNow'>>();
let exitHookInstalled = false;

function killLiveGroupsOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [pid, launch] of liveGroups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // ESRCH: already gone.
      }
      launch.killAll?.();
      // cleanup() is async and cannot run now: the launcher's synchronous part can.
      try {
        launch.removeNow?.();
      } catch {
        // Exiting anyway.
      }
    }
  });
}

/** How to start the program, where it differs from the command's own cwd and env. */
export interface ProcessLaunch {
  cwd?: string;
  env?: Record<string, string>;
  /** Runs after the group is gone, before the result is returned (temp dirs, cgroups). */
  cleanup?: () => Promise<void>;
  /**
   * Kills, synchronously, whatever the program started that the group signal may miss (a
   * sandbox's processes in their own session or pid namespace). Called with every SIGKILL.
   */
  killAll?: () => void;
  /** What cleanup() removes, done synchronously: for a process exiting with the group still live. */
  removeNow?: () => void;
  /** Open file descriptors handed to the program as fd 3, 4, ... (bwrap --seccomp 3). Closed here after the spawn. */
  extraFds?: number[];
}

function closeExtraFds(launch: ProcessLaunch): void {
  for (const fd of launch.extraFds ?? []) closeSync(fd);
}

/** Extra stdio entries after fd 2: an open descriptor to hand over, or a pipe to write to. */
export type ExtraStdio = number | 'pipe' | 'ignore';

/**
 * Starts `argv` as the leader of a new process group (and session), registered to be killed
 * if this process exits first. `extraStdio` become fds 3, 4, ...; numbers in `launch.extraFds`
 * are closed here once the child has its copies.
 */
export function startProcessGroup(
  argv: readonly string[],
  launch: ProcessLaunch & { cwd: string; env: Record<string, string> },
  extraStdio: readonly ExtraStdio[] = launch.extraFds ?? [],
): ChildProcess {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('startProcessGroup needs a program to run');
  const child = spawn(file, args, {
    cwd: launch.cwd,
    env: launch.env,
    // A new process group (and session), led by the shell: killable as one with kill(-pid).
    detached: true,
    // Never what this process inherited (inherited-fds.ts): the sandbox's way back out.
    stdio: withInheritedCovered<'pipe'>(['ignore', 'pipe', 'pipe', ...extraStdio]),
  });
  // The child has its own copies now.
  closeExtraFds(launch);
  if (child.pid !== undefined) {
    killLiveGroupsOnExit();
    liveGroups.set(child.pid, { killAll: launch.killAll, removeNow: launch.removeNow });
  }
  return child;
}

/** Kills a started group that will not be supervised (a sandbox never used); `then` runs once it is gone. */
export function abandonProcessGroup(
  child: ChildProcess,
  killAll: (() => void) | undefined,
  then: () => void,
): void {
  child.once('close', () => {
    if (child.pid !== undefined) liveGroups.delete(child.pid);
    then();
  });
  child.stdout?.resume();
  child.stderr?.resume();
  if (child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: already gone.
    }
  }
  killAll?.();
}

export function runProcessGroup(
  argv: readonly string[],
  options: RunCommandOptions,
  launch: ProcessLaunch = {},
): Promise<CommandResult> {
  if (options.signal?.aborted || argv.length === 0) {
    closeExtraFds(launch);
    const settled = launch.cleanup?.() ?? Promise.resolve();
    if (argv.length === 0)
      return settled.then(() => Promise.reject(new Error('runProcessGroup needs a program to run')));
    return settled.then(cancelledBeforeStart);
  }
  const child = startProcessGroup(argv, {
    ...launch,
    cwd: launch.cwd ?? options.cwd,
    env: launch.env ?? options.env,
  });
  return superviseProcessGroup(child, options, launch);
}

/**
 * Collects a started group's output and ends it: at its timeout, on abort (SIGTERM, then
 * SIGKILL after the grace period), or when its leader exits (whatever it left running goes too).
 */
export function superviseProcessGroup(
  child: ChildProcess,
  options: RunCommandOptions,
  launch: Pick<ProcessLaunch, 'cleanup' | 'killAll'> = {},
): Promise<CommandResult> {
  return new Promise<CommandResult>((resolve, reject) => {
    // The launcher's cleanup (a sandbox's temp dir and cgroup) runs before the call settles.
    const settle = (done: () => void) => {
      void (launch.cleanup?.() ?? Promise.resolve()).then(done, reject);
    };
    const output = new HeadTailBuffer(options.maxOutputBytes ?? DEFAULT_COMMAND_OUTPUT_BYTES);
    const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const result = { timedOut: false, cancelled: false };
    const pid = child.pid;
    const forget = () => {
      if (pid !== undefined) liveGroups.delete(pid);
    };
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, action: () => void) => timers.push(setTimeout(action, ms));

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
      if (signal === 'SIGKILL') launch.killAll?.();
    };
    let stopping = false;
    /** SIGTERM now, SIGKILL after the grace period, then stop waiting for the pipes. */
    const stopGroup = () => {
      if (stopping) return;
      stopping = true;
      killGroup('SIGTERM');
      later(grace, () => killGroup('SIGKILL'));
      later(grace + PIPE_DRAIN_MS, () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      });
    };

    const onAbort = () => {
      result.cancelled = true;
      stopGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    later(options.timeoutMs, () => {
      result.timedOut = true;
      stopGroup();
    });

    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    // The shell is done: whatever it left running in the background goes too.
    child.on('exit', () => stopGroup());
    child.on('error', (error) => {
      forget();
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      settle(() => reject(error));
    });
    child.on('close', (exitCode, signal) => {
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Whatever is left of the group (a process that closed its output) does not outlive the call.
      killGroup('SIGKILL');
      forget();
      const value = {
        exitCode,
        signal,
        output: output.text(),
        outputBytes: output.totalBytes,
        ...result,
        pid: child.pid,
      };
      settle(() => resolve(value));
    });
  });
}
