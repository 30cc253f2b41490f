/**
 * The operator's side of a runner: start it detached, ask how it is, stop it. Everything goes
 * through the control socket; the pid file only helps to wait for the daemon to be gone and to
 * recognise a runner that died without cleaning up.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '@oxydra/sandbox';
import type { HealthStatus, ShutdownStatus } from './control-protocol.js';
import { RunnerNotRunning, sendControl } from './control-socket.js';
import { logFilePath } from './guest-launch.js';
import { imageHandoff } from './image/guest-image.js';
import type { RunnerPlan } from './plan.js';
import { engineHandoff } from './tiers/detect-once.js';
import { provisionWorkspace } from './workspace.js';

const POLL_MS = 50;

export function readPidFile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is an `oxydra runner daemon` (not a reused pid). */
function isRunnerDaemon(pid: number): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes('runner') && args.includes('daemon');
  } catch {
    return false;
  }
}

export interface DaemonProcess {
  pid: number;
  /** Set when the daemon exited (it failed to start). */
  exitCode(): number | null | undefined;
}

/**
 * Starts `<self> runner daemon` detached from this process, its output in
 * `<ws>/logs/daemon.*.log`; with the engine and the guest `image` this process resolved (a
 * container tier), so the daemon does not look for them again.
 */
export async function spawnRunnerDaemon(
  plan: RunnerPlan,
  selfCommand: readonly string[],
  env: NodeJS.ProcessEnv,
  image?: string,
): Promise<DaemonProcess> {
  await provisionWorkspace(plan.paths);
  const marker = `=== ${new Date().toISOString()} oxydra runner start ===\n`;
  const fds = (['stdout', 'stderr'] as const).map((stream) => {
    const fd = openSync(logFilePath(plan.paths.logs, 'daemon', stream), 'a', 0o600);
    writeSync(fd, marker);
    return fd;
  });
  const [program, ...args] = selfCommand;
  const daemonArgs = ['runner', 'daemon', '--config', plan.configPath, '--user', plan.userId];
  if (plan.insecure) daemonArgs.push('--insecure');
  let exitCode: number | null | undefined;
  try {
    const child = spawn(program!, [...args, ...daemonArgs], {
      cwd: plan.projectDir,
      env: imageHandoff(engineHandoff(env), image),
      // Its own session: it outlives this command and the terminal it ran in.
      detached: true,
      stdio: ['ignore', fds[0]!, fds[1]!],
    });
    child.once('exit', (code) => {
      exitCode = code;
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${program}`);
    return { pid: child.pid, exitCode: () => exitCode };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

export type RunnerState =
  | { running: true; health: HealthStatus }
  | { running: false; stalePidFile: boolean; pid?: number };

/** How the user's runner is, from its control socket (or why it cannot answer). */
export async function queryRunner(plan: RunnerPlan): Promise<RunnerState> {
  try {
    const response = await sendControl(plan.paths.controlSocket, { op: 'health_check' });
    if (response.op === 'health_status') return { running: true, health: response.payload };
    throw new Error(`the runner answered health_check with ${response.op}`);
  } catch (error) {
    if (!(error instanceof RunnerNotRunning)) throw error;
    const pid = readPidFile(plan.paths.pidFile);
    if (pid !== undefined && isRunnerDaemon(pid)) {
      throw new Error(
        `the runner for user ${plan.userId} (pid ${pid}) is alive but its control socket does not answer; stop it with \`kill ${pid}\``,
      );
    }
    return { running: false, stalePidFile: pid !== undefined, ...(pid !== undefined ? { pid } : {}) };
  }
}

export interface ReadyOutcome {
  ready: boolean;
  health?: HealthStatus;
  /** Why it is not ready: the guest or the daemon died, or the deadline passed. */
  problem?: string;
}

/** Polls the new daemon until its guest is healthy, dies, or `timeoutMs` passes. */
export async function waitUntilReady(
  plan: RunnerPlan,
  daemon: DaemonProcess,
  timeoutMs: number,
): Promise<ReadyOutcome> {
  const deadline = Date.now() + timeoutMs;
  let last: HealthStatus | undefined;
  for (;;) {
    const exitCode = daemon.exitCode();
    if (exitCode !== undefined) {
      return { ready: false, problem: `the runner daemon exited during startup (exit code ${exitCode})` };
    }
    try {
      const response = await sendControl(
        plan.paths.controlSocket,
        { op: 'health_check' },
        { timeoutMs: 5000 },
      );
      if (response.op === 'health_status') {
        last = response.payload;
        if (last.healthy) return { ready: true, health: last };
        // The guest is gone (its pid is reported only while it runs): no point waiting.
        if (last.runtime_pid === undefined && !last.shutdown) {
          return {
            ready: false,
            health: last,
            problem: `the runtime guest exited during startup (${last.runtime_exit ?? 'unknown status'})`,
          };
        }
      }
    } catch (error) {
      if (!(error instanceof RunnerNotRunning)) throw error;
    }
    if (Date.now() >= deadline) {
      return {
        ready: false,
        ...(last ? { health: last } : {}),
        problem: `the guest did not become ready within ${Math.round(timeoutMs / 1000)} s${last?.message ? ` (${last.message})` : ''}`,
      };
    }
    await sleep(POLL_MS);
  }
}

export interface StopOutcome {
  wasRunning: boolean;
  status?: ShutdownStatus;
  /** The pid file named a runner that was already gone; the file was removed. */
  removedStalePidFile?: boolean;
}

/** Asks the runner to shut down and waits (bounded) until its daemon process is gone. */
export async function stopRunner(plan: RunnerPlan, timeoutMs = 20_000): Promise<StopOutcome> {
  const pid = readPidFile(plan.paths.pidFile);
  let status: ShutdownStatus;
  try {
    const response = await sendControl(
      plan.paths.controlSocket,
      { op: 'shutdown_user', payload: { user_id: plan.userId } },
      { timeoutMs },
    );
    if (response.op === 'error') throw new Error(`the runner refused to stop: ${response.payload.message}`);
    if (response.op !== 'shutdown_status')
      throw new Error(`the runner answered shutdown_user with ${response.op}`);
    status = response.payload;
  } catch (error) {
    if (!(error instanceof RunnerNotRunning)) throw error;
    const state = await queryRunner(plan);
    if (state.running) throw new Error('the runner came back while stopping it; try again');
    if (state.stalePidFile) await rm(plan.paths.pidFile, { force: true });
    return { wasRunning: false, removedStalePidFile: state.stalePidFile };
  }
  if (pid !== undefined) {
    const deadline = Date.now() + timeoutMs;
    while (processAlive(pid) && isRunnerDaemon(pid)) {
      if (Date.now() >= deadline) {
        throw new Error(`the runner daemon (pid ${pid}) did not exit within ${timeoutMs / 1000} s`);
      }
      await sleep(POLL_MS);
    }
  }
  return { wasRunning: true, status };
}
