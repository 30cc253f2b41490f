/**
 * The runner daemon for one user: owns the guest it launches, serves the control socket, and
 * reports the guest's health truthfully. A guest that dies is reported unhealthy with how it
 * ended, and relaunched only when runner.toml says `restart = "on_failure"` (bounded). Shutdown (control op or SIGTERM) stops the
 * guest, then removes the socket, pid file and gateway endpoint.
 */
import { rm } from 'node:fs/promises';
import { writeFileAtomic } from '@oxydra/config';
import { socketAnswers } from '@oxydra/sandbox';
import { readSmallFile } from '@oxydra/types/fs';
import type { ControlResponse, HealthStatus, ParsedControlRequest } from './control-protocol.js';
import { type ControlServer, serveControlSocket } from './control-socket.js';
import { guestEnvelope } from './guest-envelope.js';
import { type GuestExit, type GuestHandle, launchGuest, logFilePath } from './guest-launch.js';
import { readLogs } from './logs.js';
import type { RunnerPlan } from './plan.js';
import type { GuestBackend } from './tiers/choose.js';
import { provisionWorkspace } from './workspace.js';

export const DEFAULT_STOP_GRACE_MS = 5000;
/** restart = "on_failure": at most this many restarts a minute, the first after a second. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const RESTART_BASE_DELAY_MS = 1000;
/**
 * Loopback only: the guest's gateway listens on 127.0.0.1, and whatever this names is probed by
 * the daemon and handed, with a bearer token, to `runner tui`. A guest that wrote another host
 * would have both sent there.
 */
const ENDPOINT_PATTERN = /^ws:\/\/(?:127\.0\.0\.1|\[::1\]):\d{1,5}\/ws$/;
/** A well-formed endpoint is about 30 bytes; anything much longer is not one. */
const ENDPOINT_MAX_BYTES = 256;

export interface DaemonOptions {
  plan: RunnerPlan;
  backend: GuestBackend;
  selfCommand: readonly string[];
  env: NodeJS.ProcessEnv;
  stopGraceMs?: number;
  /** Each runtime log file's cap before it is rotated (default RUNTIME_LOG_MAX_BYTES). */
  logMaxBytes?: number;
  /** Where the daemon's own messages go (its stderr log). */
  log?: (line: string) => void;
}

export function describeExit(exit: GuestExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/**
 * The gateway URL the guest wrote, if it has written a well-formed one. The process-tier guest
 * writes this file itself, so it is read as a hostile file: a FIFO there would hang every
 * health check (and hold a thread of the daemon's file pool for good), a link would be
 * followed to what it names, a huge file read whole.
 */
export async function readGatewayEndpoint(path: string): Promise<string | undefined> {
  const file = readSmallFile(path, { maxBytes: ENDPOINT_MAX_BYTES });
  if (!file.ok) return undefined;
  const text = file.bytes.toString('utf8').trim();
  return ENDPOINT_PATTERN.test(text) ? text : undefined;
}

/** True when the gateway behind a `ws://host:port/ws` endpoint answers its /healthz probe. */
async function gatewayAnswers(endpoint: string, timeoutMs = 2000): Promise<boolean> {
  const url = new URL(endpoint);
  try {
    const response = await fetch(`http://${url.host}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export class RunnerDaemon {
  readonly #options: DaemonOptions;
  #guest: GuestHandle | undefined;
  #server: ControlServer | undefined;
  #shuttingDown = false;
  /** When the guest was restarted, within the last RESTART_WINDOW_MS. */
  #restarts: number[] = [];
  #restarting = false;
  #stopped!: () => void;
  readonly #done = new Promise<void>((resolve) => {
    this.#stopped = resolve;
  });

  constructor(options: DaemonOptions) {
    this.#options = options;
  }

  get #plan(): RunnerPlan {
    return this.#options.plan;
  }

  #log(line: string): void {
    (this.#options.log ?? ((text) => process.stderr.write(`${text}\n`)))(
      `${new Date().toISOString()} ${line}`,
    );
  }

  /** Launches the guest and starts serving; resolves once the control socket listens. */
  async start(): Promise<void> {
    const { paths } = this.#plan;
    await provisionWorkspace(paths);
    if (await socketAnswers(paths.controlSocket)) {
      throw new Error(`a runner for user ${this.#plan.userId} is already running (${paths.controlSocket})`);
    }
    await rm(paths.gatewayEndpoint, { force: true });
    await rm(paths.gatewayToken, { force: true });
    await writeFileAtomic(paths.pidFile, `${process.pid}\n`, { mode: 0o600 });
    await this.#launch();
    this.#server = await serveControlSocket(paths.controlSocket, (request) => this.#handle(request));
  }

  async #launch(): Promise<void> {
    const guest = await launchGuest({
      plan: this.#plan,
      backend: this.#options.backend,
      envelope: guestEnvelope(this.#plan, this.#options.backend),
      selfCommand: this.#options.selfCommand,
      env: this.#options.env,
      ...(this.#options.logMaxBytes === undefined ? {} : { logMaxBytes: this.#options.logMaxBytes }),
    });
    this.#guest = guest;
    this.#log(
      `runner for user ${this.#plan.userId}: ${this.#plan.tier}-tier guest started (pid ${guest.pid ?? '?'}${guest.containerName ? `, container ${guest.containerName}` : ''})`,
    );
    void guest.exited.then((exit) => this.#onExit(exit));
  }

  /** A guest that died: relaunched when runner.toml says `restart = "on_failure"`, within bounds. */
  async #onExit(exit: GuestExit): Promise<void> {
    if (this.#shuttingDown) return;
    const stderrLog = logFilePath(this.#plan.paths.logs, 'runtime', 'stderr');
    const now = Date.now();
    this.#restarts = this.#restarts.filter((at) => now - at < RESTART_WINDOW_MS);
    if (this.#plan.runner.restart !== 'on_failure' || this.#restarts.length >= MAX_RESTARTS) {
      const why =
        this.#plan.runner.restart === 'on_failure'
          ? `it was restarted ${MAX_RESTARTS} times in the last minute`
          : 'restart = "never"';
      this.#log(
        `the runtime guest exited unexpectedly (${describeExit(exit)}); not restarting it (${why}): see ${stderrLog}`,
      );
      return;
    }
    this.#restarts.push(now);
    const delay = Math.min(RESTART_BASE_DELAY_MS * 2 ** (this.#restarts.length - 1), 10_000);
    this.#log(`the runtime guest exited unexpectedly (${describeExit(exit)}); restarting it in ${delay} ms`);
    this.#restarting = true;
    await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      if (!this.#shuttingDown) await this.#launch();
    } catch (error) {
      this.#log(`restarting the runtime guest failed: ${(error as Error).message}`);
    } finally {
      this.#restarting = false;
    }
  }

  /** Resolves when the daemon has shut down. */
  get done(): Promise<void> {
    return this.#done;
  }

  async health(): Promise<HealthStatus> {
    const plan = this.#plan;
    const guest = this.#guest;
    const exit = guest?.exit;
    const endpoint = exit || !guest ? undefined : await readGatewayEndpoint(guest.endpointFile);
    const answers = endpoint !== undefined && (await gatewayAnswers(endpoint));
    const envelope = guestEnvelope(plan, this.#options.backend);
    let message: string | undefined;
    if (this.#shuttingDown) message = 'shutting down';
    else if (exit && this.#restarting) {
      message = `restarting: the runtime guest exited unexpectedly (${describeExit(exit)}) at ${exit.at.toISOString()}`;
    } else if (exit) {
      message = `the runtime guest exited unexpectedly (${describeExit(exit)}) at ${exit.at.toISOString()} and was not restarted; see ${logFilePath(plan.paths.logs, 'runtime', 'stderr')}, then run \`oxydra runner stop\` and \`oxydra runner start\``;
    } else if (!endpoint) message = "starting: waiting for the guest's gateway";
    else if (!answers) message = `the guest's gateway at ${endpoint} does not answer /healthz`;
    return {
      user_id: plan.userId,
      healthy: !this.#shuttingDown && !exit && answers,
      sandbox_tier: plan.tier,
      startup_status: envelope.startup_status!,
      shell_available: envelope.startup_status!.shell_available,
      browser_available: envelope.startup_status!.browser_available,
      shutdown: this.#shuttingDown,
      ...(message ? { message } : {}),
      log_dir: plan.paths.logs,
      ...(guest?.pid !== undefined && !exit ? { runtime_pid: guest.pid } : {}),
      ...(guest?.containerName ? { runtime_container_name: guest.containerName } : {}),
      runner_pid: process.pid,
      ...(endpoint ? { gateway_endpoint: endpoint } : {}),
      ...(exit ? { runtime_exit: describeExit(exit) } : {}),
      ...(this.#restarts.length > 0 ? { restarts: this.#restarts.length } : {}),
    };
  }

  /** Stops the guest and everything the daemon owns. Idempotent. */
  async shutdown(reason: string): Promise<{ alreadyStopped: boolean }> {
    const alreadyStopped = this.#guest?.exit !== undefined;
    if (this.#shuttingDown) return { alreadyStopped };
    this.#shuttingDown = true;
    this.#log(`shutting down (${reason})`);
    await this.#guest?.stop(this.#options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    // Let the response to a shutdown_user request leave before the socket closes.
    setImmediate(() => void this.#finish());
    return { alreadyStopped };
  }

  async #finish(): Promise<void> {
    const { paths } = this.#plan;
    await this.#server?.close();
    await Promise.all(
      [
        paths.controlSocket,
        paths.pidFile,
        paths.gatewayEndpoint,
        paths.gatewayToken,
        this.#guest?.endpointFile,
      ]
        .filter((p) => p !== undefined)
        .map((p) => rm(p, { force: true })),
    );
    this.#log('stopped');
    this.#stopped();
  }

  async #handle(request: ParsedControlRequest): Promise<ControlResponse> {
    switch (request.op) {
      case 'health_check':
        return { op: 'health_status', payload: await this.health() };
      case 'shutdown_user': {
        if (request.payload.user_id !== this.#plan.userId) {
          return {
            op: 'error',
            payload: {
              code: 'unknown_user',
              message: `this runner serves user ${this.#plan.userId}, not ${request.payload.user_id}`,
            },
          };
        }
        const { alreadyStopped } = await this.shutdown('shutdown_user request');
        return {
          op: 'shutdown_status',
          payload: {
            user_id: this.#plan.userId,
            shutdown: true,
            already_stopped: alreadyStopped,
            ...(alreadyStopped ? { message: 'the runtime guest had already exited' } : {}),
          },
        };
      }
      case 'logs':
        return { op: 'logs', payload: await readLogs(this.#plan.paths.logs, request.payload) };
    }
  }
}
