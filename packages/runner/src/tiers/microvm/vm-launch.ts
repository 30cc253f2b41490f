/**
 * Starting one user's micro-VM guest. The runner listens on `<ws>/ipc/vm-control.sock`; QEMU
 * connects the guest's control port (virtio-serial) to it, and the runner writes the bootstrap
 * envelope frame there, as the process tier writes it on the guest's stdin. That connection is
 * the lifeline: closing it ends the guest's stdin, the guest stops, the VM powers off and QEMU
 * exits. The guest's variables (provider keys, the gateway token) travel in a 0600 file QEMU
 * reads into fw_cfg, removed once the guest answers. The gateway listens on the guest's address,
 * forwarded to a free port of the host's 127.0.0.1; once it answers /healthz there, the runner
 * writes that endpoint where the daemon reads the guest's. The guest's console (QEMU's stdout)
 * and stderr (ttyS1, connected to `<ws>/ipc/vm-stderr.sock`) reach the runner as streams it
 * copies into its capped logs; QEMU writes no log file itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '@oxydra/config';
import { GATEWAY_TOKEN_ENV } from '@oxydra/config/admin';
import { listenOnUnixSocket, removeStaleSocket, withInheritedCovered } from '@oxydra/sandbox';
import { type BootstrapEnvelope, encodeEnvelope } from '../../envelope.js';
import { issueGuestGatewayToken } from '../../guest-token.js';
import type { RunnerPlan } from '../../plan.js';
import { guestEnvNames } from '../guest-env.js';
import type { MicroVmBackend } from './detect.js';
import { qemuArgs } from './qemu-args.js';
import { GATEWAY_PORT_VARIABLE, shellEnvFile } from './vm-init.js';

export interface MicroVmRequest {
  plan: RunnerPlan;
  backend: MicroVmBackend;
  envelope: BootstrapEnvelope;
  env: NodeJS.ProcessEnv;
}

export interface MicroVm {
  child: ChildProcess;
  /** The guest's console. */
  stdout: Readable;
  /** The guest's stderr (ttyS1) and QEMU's own; ends once QEMU and ttyS1 have closed. */
  stderr: Readable;
  /** Closes the control connection: the guest stops by itself and the VM powers off. */
  stopGently(): void;
}

const POLL_MS = 250;
const DEFAULT_MEMORY_MIB = 1024;

/** A free port on the host's 127.0.0.1 (released just before QEMU takes it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('internal: no port');
  return address.port;
}

async function guestVariables(
  plan: RunnerPlan,
  env: NodeJS.ProcessEnv,
  gatewayPort: number,
): Promise<Record<string, string>> {
  const vars: Record<string, string> = { [GATEWAY_PORT_VARIABLE]: String(gatewayPort) };
  for (const name of guestEnvNames(env, plan.user.credential_refs)) vars[name] = env[name]!;
  vars[GATEWAY_TOKEN_ENV] = await issueGuestGatewayToken(plan.paths);
  return vars;
}

async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Listens for QEMU's ttyS1 connection and copies it into `into`; `end()` closes the listener and
 * ends `into` once that connection, if any, has closed.
 */
async function ttyS1Server(path: string, into: PassThrough): Promise<{ end(): void }> {
  await removeStaleSocket(path, 'another micro-VM');
  let connection: Socket | undefined;
  const server = createServer((socket) => {
    // QEMU's is the one connection: anything after it is refused.
    if (connection) return void socket.destroy();
    connection = socket;
    socket.on('error', () => socket.destroy());
    socket.pipe(into, { end: false });
  });
  await listenOnUnixSocket(server, path);
  return {
    end() {
      server.close();
      if (connection === undefined || connection.closed) into.end();
      else connection.once('close', () => into.end());
    },
  };
}

export async function startMicroVm(request: MicroVmRequest): Promise<MicroVm> {
  const { plan, backend } = request;
  const controlPath = join(plan.paths.ipc, 'vm-control.sock');
  const envFile = join(plan.paths.ipc, 'vm-env');
  const hostPort = await freePort();
  await writeFileAtomic(envFile, shellEnvFile(await guestVariables(plan, request.env, hostPort)), {
    mode: 0o600,
  });
  await removeStaleSocket(controlPath, 'another micro-VM');
  let control: Socket | undefined;
  const server: Server = createServer((socket) => {
    // One VM, one connection: anything after QEMU's is refused.
    if (control) return void socket.destroy();
    control = socket;
    socket.on('error', () => socket.destroy());
    socket.write(encodeEnvelope(request.envelope));
  });
  await listenOnUnixSocket(server, controlPath);
  const stderrPath = join(plan.paths.ipc, 'vm-stderr.sock');
  const stderr = new PassThrough();
  const ttyS1 = await ttyS1Server(stderrPath, stderr);

  // The guest's HOME (its signing key, trust records), private to the operator like ipc/.
  const home = join(plan.paths.root, 'vm-home');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const resources = plan.user.resources ?? {};
  const child = spawn(
    backend.qemu,
    qemuArgs({
      name: `oxydra-micro_vm-${plan.userId}`,
      accel: backend.accel,
      kernel: backend.image.kernel,
      initrd: backend.image.initrd,
      memoryMib: resources.max_memory_mib ?? DEFAULT_MEMORY_MIB,
      vcpus: resources.max_vcpus ?? 1,
      controlSocket: controlPath,
      envFile,
      shares: {
        shared: plan.mounts.shared ?? plan.paths.shared,
        tmp: plan.mounts.tmp ?? plan.paths.tmp,
        vault: plan.mounts.vault ?? plan.paths.vault,
        home,
      },
      hostPort,
      stderrSocket: stderrPath,
    }),
    // Not what the runner inherited (guest-launch.ts): QEMU is a host process.
    { env: request.env, detached: true, stdio: withInheritedCovered(['ignore', 'pipe', 'pipe']) },
  );
  child.stderr!.pipe(stderr, { end: false });
  // 'close' follows the exit (or a failed spawn) once QEMU's own stdout and stderr have ended.
  child.once('close', () => ttyS1.end());
  let exited = false;
  const cleanUp = () => {
    server.close();
    void rm(envFile, { force: true });
    void rm(controlPath, { force: true });
    void rm(stderrPath, { force: true });
  };
  child.once('exit', () => {
    exited = true;
    cleanUp();
  });
  child.once('error', () => {
    exited = true;
    cleanUp();
  });
  void (async () => {
    while (!exited) {
      if (await answers(hostPort)) {
        if (exited) return;
        await rm(envFile, { force: true });
        await writeFileAtomic(plan.paths.gatewayEndpoint, `ws://127.0.0.1:${hostPort}/ws\n`, { mode: 0o600 });
        return;
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    child,
    stdout: child.stdout!,
    stderr,
    stopGently: () => {
      control?.end();
      if (!control) child.kill('SIGTERM');
    },
  };
}
