/**
 * Runs one shell command in its own process group, so that a timeout, a cancellation or the end of
 * the command stops everything it started: `sh -c 'server & tests'` leaves no server behind.
 * Replaceable as a whole (CommandRunner): the OS sandbox wraps or swaps this function.
 */
import { spawn } from 'node:child_process';
import { HeadTailBuffer } from './output-buffer.js';

export interface RunCommandOptions {
  cwd: string;
  /** The complete environment of the command: nothing of this process's leaks in. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Aborting stops the command (and its process group). */
  signal?: AbortSignal;
  /** Output kept, start and end halves (stdout and stderr interleaved as they arrive). Default 64 KiB. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL. Default 2 s. */
  killGraceMs?: number;
}

export interface CommandResult {
  /** null when a signal ended the shell. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** All output bytes the command wrote, kept or not. */
  outputBytes: number;
  timedOut: boolean;
  cancelled: boolean;
  /** The shell's pid, which is also its process group's id. */
  pid: number | undefined;
}

export type CommandRunner = (command: string, options: RunCommandOptions) => Promise<CommandResult>;

export const DEFAULT_COMMAND_OUTPUT_BYTES = 64 * 1024;
export const DEFAULT_KILL_GRACE_MS = 2000;
/** After the last SIGKILL: a process that left the group may still hold our pipes; stop waiting. */
const PIPE_DRAIN_MS = 1000;

export const runCommand: CommandRunner = (command, options) =>
  new Promise<CommandResult>((resolve, reject) => {
    const output = new HeadTailBuffer(options.maxOutputBytes ?? DEFAULT_COMMAND_OUTPUT_BYTES);
    const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const result = { timedOut: false, cancelled: false };
    if (options.signal?.aborted) {
      resolve({
        exitCode: null,
        signal: null,
        output: '',
        outputBytes: 0,
        ...result,
        cancelled: true,
        pid: undefined,
      });
      return;
    }

    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: options.env,
      // A new process group (and session), led by the shell: killable as one with kill(-pid).
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, action: () => void) => timers.push(setTimeout(action, ms));

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
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
    later(options.timeoutMs, () => {
      result.timedOut = true;
      stopGroup();
    });

    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    // The shell is done: whatever it left running in the background goes too.
    child.on('exit', () => stopGroup());
    child.on('error', (error) => {
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Whatever is left of the group (a process that closed its output) does not outlive the call.
      killGroup('SIGKILL');
      resolve({
        exitCode,
        signal,
        output: output.text(),
        outputBytes: output.totalBytes,
        ...result,
        pid: child.pid,
      });
    });
  });
