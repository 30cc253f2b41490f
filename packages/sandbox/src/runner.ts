/**
 * A CommandRunner with runCommand's contract (exit code, head+tail output cap, timeout and abort
 * stop everything) that runs `/bin/sh -c command` inside bubblewrap. bwrap leads its own process
 * group; killing that group kills bwrap, and --die-with-parent plus the pid namespace take every
 * process of the sandbox with it, whatever session or group they moved to.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SandboxPolicy } from '@oxydra/types';
import { bwrapArgs, SANDBOX_HOME } from './args.js';
import { createPidsCgroup, inCgroup, prlimitPrefix } from './limits.js';
import { HeadTailBuffer } from './output-buffer.js';
import type { CommandResult, CommandRunner } from './types.js';

export const BWRAP = '/usr/bin/bwrap';
const DEFAULT_OUTPUT_BYTES = 64 * 1024;
const DEFAULT_KILL_GRACE_MS = 2000;
const PIPE_DRAIN_MS = 1000;

export interface BubblewrapRunnerOptions {
  /** Bound read-write; commands run here unless options.cwd says otherwise. */
  workspace: string;
  bwrapPath?: string;
  /** Whose ~/.ssh etc. are masked. Default: os.homedir(). */
  home?: string;
  /** Where the per-command private /tmp is created on the host. Default: os.tmpdir(). */
  tmpRoot?: string;
}

export function createBubblewrapRunner(
  policy: SandboxPolicy,
  options: BubblewrapRunnerOptions,
): CommandRunner {
  const bwrap = options.bwrapPath ?? BWRAP;
  return (command, run) =>
    new Promise<CommandResult>((resolve, reject) => {
      const result = { timedOut: false, cancelled: false };
      if (run.signal?.aborted) {
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
      // A private /tmp (and HOME inside it) per command: nothing is shared between commands.
      const tmpDir = mkdtempSync(path.join(options.tmpRoot ?? tmpdir(), 'oxydra-sandbox-'));
      mkdirSync(path.join(tmpDir, path.basename(SANDBOX_HOME)));
      const processes = policy.limits?.processes;
      const cgroup = processes === undefined ? undefined : createPidsCgroup(processes);
      const inner = [...prlimitPrefix(policy.limits), '/bin/sh', '-c', command];
      const args = bwrapArgs(policy, {
        workspace: options.workspace,
        tmpDir,
        command: inner,
        cwd: run.cwd,
        env: run.env,
        ...(options.home === undefined ? {} : { home: options.home }),
      });
      const argv = cgroup === undefined ? [bwrap, ...args] : inCgroup(cgroup, [bwrap, ...args]);
      const cleanup = async () => {
        rmSync(tmpDir, { recursive: true, force: true });
        await cgroup?.remove();
      };

      const output = new HeadTailBuffer(run.maxOutputBytes ?? DEFAULT_OUTPUT_BYTES);
      const grace = run.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
      const [file = bwrap, ...rest] = argv;
      const child = spawn(file, rest, {
        cwd: '/',
        env: {},
        // bwrap leads a new process group: kill(-pid) reaches it (and the cgroup shell before it).
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
          // ESRCH: already gone.
        }
      };
      let stopping = false;
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
      run.signal?.addEventListener('abort', onAbort, { once: true });
      later(run.timeoutMs, () => {
        result.timedOut = true;
        stopGroup();
      });
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
      child.on('exit', () => stopGroup());
      const finish = () => {
        for (const timer of timers) clearTimeout(timer);
        run.signal?.removeEventListener('abort', onAbort);
      };
      child.on('error', (error) => {
        finish();
        void cleanup().then(() => reject(error), reject);
      });
      child.on('close', (exitCode, signal) => {
        finish();
        killGroup('SIGKILL');
        const value: CommandResult = {
          exitCode,
          signal,
          output: output.text(),
          outputBytes: output.totalBytes,
          ...result,
          pid: child.pid,
        };
        void cleanup().then(() => resolve(value), reject);
      });
    });
}
