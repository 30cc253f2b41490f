/**
 * Starting one user's guest and stopping it again. The process tier runs `oxydra guest` as a
 * child in its own process group, the envelope on its stdin, which then stays open as a
 * lifeline: if the runner dies, the guest sees stdin close and shuts down. The container tier
 * runs the engine's client in the foreground (`run --rm`), and the micro_vm tier QEMU, so each
 * tier is one child process whose exit the runner sees and whose output (for the micro-VM, its
 * console and ttyS1) lands in `<ws>/logs/runtime.{stdout,stderr}.log`, copied there by the
 * runner, capped and rotated (log-sink.ts).
 *
 * Each tier's child is spawned with the descriptors the runner inherited covered
 * (sandbox/inherited-fds.ts): a process-tier guest is a host process, and an IDE's `9</home/me`
 * reached it (and its shell commands' sandbox) as /proc/self/fd/9 otherwise.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { withInheritedCovered } from '@oxydra/sandbox';
import { prepareContainerGuest } from './container-launch.js';
import { type BootstrapEnvelope, encodeEnvelope } from './envelope.js';
import { cappedNotes, pipeToCappedLog, RUNTIME_LOG_MAX_BYTES } from './log-sink.js';
import type { RunnerPlan } from './plan.js';
import type { GuestBackend } from './tiers/choose.js';
import { startMicroVm } from './tiers/microvm/vm-launch.js';

export interface GuestExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: Date;
}

export interface GuestHandle {
  readonly pid: number | undefined;
  readonly containerName?: string;
  /** Where the guest writes its gateway endpoint (a host path). */
  readonly endpointFile: string;
  /** Set once the guest has exited. */
  readonly exit: GuestExit | undefined;
  readonly exited: Promise<GuestExit>;
  /** Asks the guest to stop; kills its whole process group after `graceMs`. */
  stop(graceMs: number): Promise<GuestExit>;
}

export interface LaunchRequest {
  plan: RunnerPlan;
  backend: GuestBackend;
  envelope: BootstrapEnvelope;
  /** How to run this same `oxydra` (node and the script): the guest is `<self> guest ...`. */
  selfCommand: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Each runtime log file's cap before it is rotated (log-sink.ts). */
  logMaxBytes?: number;
}

/** How long an exited guest's last output may take to reach its log before the exit is reported. */
const OUTPUT_DRAIN_MS = 2000;

export function logFilePath(logDir: string, role: string, stream: 'stdout' | 'stderr'): string {
  return join(logDir, `${role}.${stream}.log`);
}

/** A line marking this start in each of a role's two log files. */
function markLogs(logDir: string, role: string, what: string): void {
  const marker = `=== ${new Date().toISOString()} ${what} ===\n`;
  for (const stream of ['stdout', 'stderr'] as const) {
    appendFileSync(logFilePath(logDir, role, stream), marker, { mode: 0o600 });
  }
}

/** A guest's stdout and stderr into the runtime logs, each capped; resolves when both end. */
function pipeOutput(
  output: { stdout: Readable | null; stderr: Readable | null },
  logDir: string,
  maxBytes: number,
): Promise<void> {
  return Promise.all(
    (['stdout', 'stderr'] as const).map((stream) =>
      pipeToCappedLog(output[stream]!, logFilePath(logDir, 'runtime', stream), maxBytes),
    ),
  ).then(() => undefined);
}

export async function launchGuest(request: LaunchRequest): Promise<GuestHandle> {
  const { plan, backend } = request;
  const logMaxBytes = request.logMaxBytes ?? RUNTIME_LOG_MAX_BYTES;
  markLogs(plan.paths.logs, 'runtime', `runner starting the ${plan.tier}-tier guest`);
  if (backend.kind === 'process') {
    const [program, ...args] = request.selfCommand;
    const child = spawn(program!, [...args, 'guest', '--bootstrap-stdin', '--exit-on-stdin-close'], {
      cwd: plan.projectDir,
      env: request.env,
      // Its own process group: stopping it stops everything it runs directly.
      detached: true,
      stdio: withInheritedCovered(['pipe', 'pipe', 'pipe']),
    });
    // The guest may be gone before it reads the envelope; its exit is reported, not this.
    child.stdin!.on('error', () => {});
    child.stdin!.write(encodeEnvelope(request.envelope));
    return supervise(child, {
      outputDone: pipeOutput(child, plan.paths.logs, logMaxBytes),
      endpointFile: plan.paths.gatewayEndpoint,
      stopGently: () => child.stdin!.end(),
    });
  }

  if (backend.kind === 'micro_vm') {
    const vm = await startMicroVm({
      plan,
      backend,
      envelope: request.envelope,
      env: request.env,
    });
    // SIGTERM would end QEMU at once (power pulled): the guest gets the grace period to stop.
    return supervise(vm.child, {
      outputDone: pipeOutput(vm, plan.paths.logs, logMaxBytes),
      endpointFile: plan.paths.gatewayEndpoint,
      stopGently: vm.stopGently,
      termOnlyAfterGrace: true,
    });
  }

  if (backend.image === undefined) throw new Error('internal: the container guest image was not resolved');
  const stderrLog = logFilePath(plan.paths.logs, 'runtime', 'stderr');
  const log = cappedNotes(stderrLog, logMaxBytes);
  const launch = await prepareContainerGuest(
    plan,
    backend.engine,
    backend.image,
    request.envelope,
    request.env,
    log,
  );
  const engine = backend.engine;
  const child = spawn(engine.path, launch.argv, {
    env: request.env,
    detached: true,
    stdio: withInheritedCovered(['pipe', 'pipe', 'pipe']),
  });
  // The guest may be gone before it reads its secrets; its exit is reported, not this.
  child.stdin!.on('error', () => {});
  child.stdin!.write(launch.secrets);
  let running = true;
  const closeNetwork = () => {
    running = false;
    void launch.network.close();
  };
  child.once('exit', closeNetwork);
  child.once('error', closeNetwork);
  launch.network
    .forwardGateway(join(plan.paths.guestIpc, 'gateway-endpoint'), plan.paths.gatewayEndpoint, () => running)
    .catch((error: Error) => {
      // No endpoint is written: `runner status` keeps saying the gateway is not there yet.
      log(error.message);
    });
  const engineCall = (args: string[]) => [...engine.globalArgs, ...args, launch.name];
  return supervise(child, {
    outputDone: pipeOutput(child, plan.paths.logs, logMaxBytes),
    containerName: launch.name,
    endpointFile: plan.paths.gatewayEndpoint,
    stopGently: () => {
      spawn(engine.path, engineCall(['stop', '--time', '5']), { stdio: 'ignore', detached: true }).unref();
    },
    // The client killed after the grace period may leave its container running: never that.
    afterStop: () => {
      spawnSync(engine.path, engineCall(['rm', '--force']), { stdio: 'ignore', timeout: 30_000 });
    },
  });
}

function supervise(
  child: ChildProcess,
  options: {
    containerName?: string;
    endpointFile: string;
    /** Resolves once the child's output has reached its logs (piped tiers). */
    outputDone?: Promise<void>;
    stopGently: () => void;
    afterStop?: () => void;
    /** Only SIGKILL after the grace period, no SIGTERM first (QEMU ends the VM at once on SIGTERM). */
    termOnlyAfterGrace?: boolean;
  },
): GuestHandle {
  let exit: GuestExit | undefined;
  const exited = new Promise<GuestExit>((resolve) => {
    const done = async (code: number | null, signal: NodeJS.Signals | null) => {
      const at = new Date();
      // Its last lines (why it crashed) in the log before anyone is told it ended; bounded, as
      // something it started may hold the output open.
      if (options.outputDone) {
        await Promise.race([options.outputDone, sleep(OUTPUT_DRAIN_MS, undefined, { ref: false })]);
      }
      exit ??= { code, signal, at };
      resolve(exit);
    };
    child.once('exit', done);
    // spawn failures (ENOENT) arrive as 'error' without an 'exit'.
    child.once('error', () => done(127, null));
  });
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: already gone.
    }
  };
  return {
    pid: child.pid,
    ...(options.containerName ? { containerName: options.containerName } : {}),
    endpointFile: options.endpointFile,
    get exit() {
      return exit;
    },
    exited,
    async stop(graceMs: number) {
      if (exit) return exit;
      options.stopGently();
      if (!options.termOnlyAfterGrace) killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      // Whatever the guest left in its group goes too.
      killGroup('SIGKILL');
      options.afterStop?.();
      return result;
    },
  };
}
