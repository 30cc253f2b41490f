/**
 * The runner daemon in this process, with a stand-in guest (fixtures/fake-guest.mjs) as a real
 * child process: the envelope it receives, the control socket's three ops and its errors, a
 * clean shutdown, and a guest killed from outside reported unhealthy, not silently restarted.
 * Also what a hostile guest can do to the daemon: its endpoint file, output and egress requests.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ControlRequest,
  type ControlResponse,
  planRunner,
  RunnerDaemon,
  type RunnerPlan,
  sendControl,
} from '@oxydra/runner';
import { processAlive, tunnel } from '@oxydra/sandbox';
import { pollUntil, type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const FAKE_GUEST = new URL('./fixtures/fake-guest.mjs', import.meta.url).pathname;
const FAKE_QEMU = new URL('./fixtures/fake-qemu.mjs', import.meta.url).pathname;

let tmp: TempWorkspace;
let project: string;
let daemon: RunnerDaemon | undefined;
let plan: RunnerPlan;

beforeEach(async () => {
  tmp = tempWorkspace({
    prefix: 'oxydra-daemon-',
    files: {
      '.oxydra/runner.toml': '[users.alice]\nconfig_path = "users/alice.toml"\n',
      '.oxydra/users/alice.toml': '[resources]\nmax_processes = 32\n',
    },
  });
  project = tmp.dir;
  plan = await planRunner({ cwd: project, insecure: true });
});

afterEach(async () => {
  await daemon?.shutdown('test over');
  await daemon?.done;
  daemon = undefined;
  tmp.cleanup();
});

async function startDaemon(mode?: string, extra: { env?: NodeJS.ProcessEnv; logMaxBytes?: number } = {}) {
  daemon = new RunnerDaemon({
    plan,
    backend: { kind: 'process', shellSandbox: 'none' },
    selfCommand: [process.execPath, FAKE_GUEST],
    env: { ...process.env, ...(mode ? { FAKE_GUEST_MODE: mode } : {}), ...extra.env },
    ...(extra.logMaxBytes === undefined ? {} : { logMaxBytes: extra.logMaxBytes }),
    stopGraceMs: 2000,
    log: () => {},
  });
  await daemon.start();
  return daemon;
}

function control(request: ControlRequest): Promise<ControlResponse> {
  return sendControl(plan.paths.controlSocket, request);
}

/** The daemon's health once `check` accepts it; a timeout shows the last answer. */
async function healthWhen(check: (payload: Record<string, unknown>) => boolean, what: string) {
  let response: ControlResponse | undefined;
  return pollUntil(async () => {
    response = await control({ op: 'health_check' });
    return response.op === 'health_status' && check(response.payload) ? response.payload : undefined;
  }, what).catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(response)}`);
  });
}

describe('runner daemon', () => {
  it('sends the guest a valid envelope on stdin and reports it healthy once its gateway answers', async () => {
    await startDaemon();
    const health = await healthWhen((h) => h.healthy === true, 'healthy');
    expect(health).toMatchObject({
      user_id: 'alice',
      healthy: true,
      sandbox_tier: 'process',
      shell_available: true,
      browser_available: false,
      shutdown: false,
      log_dir: plan.paths.logs,
      runner_pid: process.pid,
      gateway_endpoint: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/),
    });
    expect(health.startup_status.degraded_reasons.map((r) => r.code)).toEqual(['insecure_process_tier']);
    expect(processAlive(health.runtime_pid!)).toBe(true);

    const received = JSON.parse(readFileSync(join(plan.paths.ipc, 'fake-guest-envelope.json'), 'utf8'));
    expect(received.argv).toEqual(['guest', '--bootstrap-stdin', '--exit-on-stdin-close']);
    expect(received.envelope).toMatchObject({
      user_id: 'alice',
      sandbox_tier: 'process',
      workspace_root: plan.paths.root,
      runtime_policy: {
        mounts: { shared: plan.paths.shared, tmp: plan.paths.tmp, vault: plan.paths.vault },
        resources: { max_processes: 32 },
      },
    });
    expect(readFileSync(plan.paths.pidFile, 'utf8').trim()).toBe(String(process.pid));
  });

  it('is "starting", not healthy, while the guest has not written its endpoint', async () => {
    await startDaemon('no-endpoint');
    const health = await healthWhen(() => true, 'an answer');
    expect(health).toMatchObject({ healthy: false, message: "starting: waiting for the guest's gateway" });
    expect(health.runtime_pid).toBeTypeOf('number');
  });

  // The process-tier guest writes ipc/gateway-endpoint itself: a hostile one must not hang the
  // daemon's health checks, nor have it probe, or `runner tui` send a token to, another host.
  it.each([
    ['a FIFO', 'fifo-endpoint'],
    ['a non-loopback host', 'foreign-endpoint'],
    ['a symbolic link', 'linked-endpoint'],
  ])('reports no gateway when the endpoint file is %s', async (_what, mode) => {
    await startDaemon(mode);
    // The guest has done its work once its endpoint name exists (the link or FIFO included).
    await pollUntil(async () => existsSync(plan.paths.gatewayEndpoint) || undefined, 'the endpoint file');
    const health = await healthWhen(() => true, 'an answer');
    expect(health).toMatchObject({ healthy: false, message: "starting: waiting for the guest's gateway" });
    expect(health.gateway_endpoint).toBeUndefined();
  });

  it('serves the guest logs through the logs op', async () => {
    await startDaemon();
    await healthWhen((h) => h.healthy === true, 'healthy');
    const response = await control({ op: 'logs', payload: { stream: 'both', tail: 5 } });
    expect(response.op).toBe('logs');
    if (response.op !== 'logs') return;
    const lines = response.payload.entries.map((e) => `${e.role}.${e.stream}: ${e.message}`);
    expect(lines).toContain('runtime.stdout: guest for alice starting');
    expect(lines).toContain('runtime.stderr: a line on stderr');
    expect(response.payload.truncated).toBe(false);
    const stderrOnly = await control({ op: 'logs', payload: { stream: 'stderr', tail: 1 } });
    expect(stderrOnly).toMatchObject({
      op: 'logs',
      payload: { entries: [{ stream: 'stderr', message: 'a line on stderr' }] },
    });
  });

  it("caps a guest's log file, rotating it, so a flood of output cannot fill the disk", async () => {
    const cap = 64 * 1024;
    await startDaemon('flood', { env: { FAKE_GUEST_FLOOD_BYTES: String(1024 * 1024) }, logMaxBytes: cap });
    const log = join(plan.paths.logs, 'runtime.stdout.log');
    await pollUntil(() => readFileSync(log, 'utf8').includes('flood done'), 'the end of the flood');
    expect(statSync(log).size).toBeLessThanOrEqual(cap);
    expect(statSync(`${log}.1`).size).toBeLessThanOrEqual(cap);
    // The newest output is kept, and the file says where the older part went.
    expect(readFileSync(log, 'utf8')).toMatch(/^=== .* runner: the previous 65536 bytes are in .*\.1 ===$/m);
  });

  it('answers malformed requests and the wrong user with error codes', async () => {
    await startDaemon();
    expect(await control({ op: 'shutdown_user', payload: { user_id: 'mallory' } })).toEqual({
      op: 'error',
      payload: { code: 'unknown_user', message: 'this runner serves user alice, not mallory' },
    });
    expect(await control({ op: 'reboot' } as unknown as ControlRequest)).toMatchObject({
      op: 'error',
      payload: { code: 'invalid_request', message: expect.stringMatching(/invalid control request at op/) },
    });
    expect(await control({ op: 'logs', payload: { tail: -1 } } as unknown as ControlRequest)).toMatchObject({
      op: 'error',
      payload: { code: 'invalid_request', message: expect.stringMatching(/payload\.tail/) },
    });
    expect(await control({ op: 'health_check' })).toMatchObject({ op: 'health_status' });
  });

  it('refuses a second daemon for the same user while the first runs', async () => {
    await startDaemon();
    const second = new RunnerDaemon({
      plan,
      backend: { kind: 'process', shellSandbox: 'none' },
      selfCommand: [process.execPath, FAKE_GUEST],
      env: process.env,
      log: () => {},
    });
    await expect(second.start()).rejects.toThrow(/a runner for user alice is already running/);
  });

  it('shutdown_user stops the guest and removes the socket, pid file and endpoint', async () => {
    const running = await startDaemon();
    const { runtime_pid } = await healthWhen((h) => h.healthy === true, 'healthy');
    expect(await control({ op: 'shutdown_user', payload: { user_id: 'alice' } })).toEqual({
      op: 'shutdown_status',
      payload: { user_id: 'alice', shutdown: true, already_stopped: false },
    });
    await running.done;
    expect(processAlive(runtime_pid!)).toBe(false);
    for (const path of [plan.paths.controlSocket, plan.paths.pidFile, plan.paths.gatewayEndpoint]) {
      expect(existsSync(path)).toBe(false);
    }
    // The guest was asked to stop (stdin closed or SIGTERM), and said so in its log.
    expect(readFileSync(join(plan.paths.logs, 'runtime.stdout.log'), 'utf8')).toMatch(
      /guest stopping: (stdin closed|SIGTERM)/,
    );
  });

  it('reports a guest killed from outside as unhealthy, and does not restart it', async () => {
    await startDaemon();
    const { runtime_pid } = await healthWhen((h) => h.healthy === true, 'healthy');
    execFileSync('kill', ['-9', String(runtime_pid)]);
    const health = await healthWhen((h) => h.runtime_pid === undefined, 'the exit to be seen');
    expect(health.healthy).toBe(false);
    expect(health.message).toMatch(
      /the runtime guest exited unexpectedly \(killed by SIGKILL\) at .* and was not restarted/,
    );
    expect(health.gateway_endpoint).toBeUndefined();
    // Still unhealthy a moment later: nothing brought it back.
    await sleep(300);
    expect(await control({ op: 'health_check' })).toMatchObject({ payload: { healthy: false } });
    expect(await control({ op: 'shutdown_user', payload: { user_id: 'alice' } })).toMatchObject({
      payload: { shutdown: true, already_stopped: true },
    });
  });

  it('reports a guest that crashes at startup with its exit code', async () => {
    await startDaemon('crash');
    const health = await healthWhen((h) => h.runtime_pid === undefined, 'the crash');
    expect(health.message).toMatch(/exited unexpectedly \(exit code 3\)/);
    expect(readFileSync(join(plan.paths.logs, 'runtime.stderr.log'), 'utf8')).toMatch(/crashes on purpose/);
  });

  it('ends a connection that sends an oversized frame', async () => {
    await startDaemon();
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(512 * 1024 * 1024);
    const socket = createConnection(plan.paths.controlSocket);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.subarray(4).toString();
      });
      socket.on('close', () => resolve(text));
      socket.write(prefix);
    });
    expect(JSON.parse(answer)).toMatchObject({
      op: 'error',
      payload: { code: 'invalid_request', message: expect.stringMatching(/exceeds/) },
    });
  });
});

// What a container guest makes the runner do, and leaves for its next start: the real egress
// proxy and folders; the engine is a stand-in program (a real child process that holds the
// `run` open and reads its secrets), so no container engine is needed.
describe('runner daemon with a container guest (a stand-in engine)', () => {
  /** Starts the runner's daemon for a container guest whose engine is the stand-in. */
  async function startWithFakeEngine(logMaxBytes?: number): Promise<void> {
    const engine = join(tmp.dir, 'fake-engine');
    // `run` holds until its stdin (the runner's lifeline) closes; `rm` and `stop` end at once.
    writeFileSync(engine, '#!/bin/sh\nexec cat >/dev/null\n');
    chmodSync(engine, 0o755);
    daemon = new RunnerDaemon({
      plan,
      backend: {
        kind: 'container',
        engine: { name: 'podman', path: engine, globalArgs: [] },
        image: 'localhost/oxydra-guest:test',
      },
      selfCommand: [process.execPath],
      env: {},
      stopGraceMs: 2000,
      ...(logMaxBytes === undefined ? {} : { logMaxBytes }),
      log: () => {},
    });
    await daemon.start();
  }

  it("caps the runtime log against a guest's flood of refused egress requests", async () => {
    const cap = 16 * 1024;
    await startWithFakeEngine(cap);
    const proxy = join(plan.paths.ipc, 'egress', 'proxy.sock');
    // About 70 bytes of log a refusal: 1500 are over six times the cap.
    for (let i = 0; i < 1500; i += 1) {
      await expect(tunnel(proxy, 'example.com', 443)).rejects.toThrow(/not allowed/);
    }
    expect(statSync(join(plan.paths.logs, 'runtime.stderr.log')).size).toBeLessThanOrEqual(2 * cap);
  });

  // The guest writes ipc/guest/gateway-endpoint; a directory it leaves there (with a link to a
  // host file inside) once failed its next start: the runner's rm was not recursive.
  it('starts over a folder the guest left at its endpoint, removing it but nothing a link in it names', async () => {
    const hostDir = join(tmp.dir, 'host-dir');
    const hostFile = join(hostDir, 'file');
    mkdirSync(hostDir);
    writeFileSync(hostFile, 'keep me\n');
    const endpoint = join(plan.paths.guestIpc, 'gateway-endpoint');
    mkdirSync(join(endpoint, 'sub'), { recursive: true });
    symlinkSync(hostDir, join(endpoint, 'sub', 'dir-link'));
    symlinkSync(hostFile, join(endpoint, 'sub', 'file-link'));
    await startWithFakeEngine();
    expect(existsSync(endpoint)).toBe(false);
    expect(readFileSync(hostFile, 'utf8')).toBe('keep me\n');
  });

  // A root runner hands shared/.oxydra to the guest's uid before each start; the guest owns shared/
  // and can put a link there in place of the folder.
  it.skipIf(process.geteuid?.() !== 0)(
    'never hands over what a link the guest left at shared/.oxydra points to',
    async () => {
      const hostDir = join(tmp.dir, 'host-dir');
      mkdirSync(join(hostDir, 'sub'), { recursive: true });
      writeFileSync(join(hostDir, 'sub', 'file'), 'root only\n');
      mkdirSync(plan.paths.shared, { recursive: true });
      symlinkSync(hostDir, join(plan.paths.shared, '.oxydra'));
      await startWithFakeEngine();
      for (const path of [hostDir, join(hostDir, 'sub'), join(hostDir, 'sub', 'file')]) {
        expect(statSync(path).uid).toBe(0);
      }
    },
  );
});

// The micro-VM's console and ttyS1 are its guest's to flood (root in its VM); QEMU is a
// stand-in (fixtures/fake-qemu.mjs) that opens its serial ports as the real one does.
describe('runner daemon with a micro-VM guest (a stand-in QEMU)', () => {
  it("caps the runtime logs against a guest's flood of its console and stderr", async () => {
    const qemu = join(tmp.dir, 'fake-qemu');
    writeFileSync(qemu, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_QEMU}" "$@"\n`);
    chmodSync(qemu, 0o755);
    const cap = 64 * 1024;
    daemon = new RunnerDaemon({
      plan,
      backend: { kind: 'micro_vm', qemu, accel: 'tcg', image: { dir: tmp.dir, kernel: 'k', initrd: 'i' } },
      selfCommand: [process.execPath],
      env: { FAKE_QEMU_FLOOD_BYTES: String(1024 * 1024) },
      logMaxBytes: cap,
      stopGraceMs: 2000,
      log: () => {},
    });
    await daemon.start();
    const exit = await healthWhen((h) => h.runtime_exit !== undefined, 'the stand-in QEMU exited');
    expect(exit.runtime_exit).toBe('exit code 0');
    const logs = (stream: string) => join(plan.paths.logs, `runtime.${stream}.log`);
    expect(readFileSync(logs('stdout'), 'utf8')).toContain('flood done on ttyS0');
    expect(readFileSync(logs('stderr'), 'utf8')).toContain('flood done on ttyS1');
    expect(readFileSync(logs('stderr'), 'utf8')).toContain('fake-qemu: a warning of its own');
    for (const stream of ['stdout', 'stderr']) {
      expect(statSync(logs(stream)).size).toBeLessThanOrEqual(cap);
      expect(statSync(`${logs(stream)}.1`).size).toBeLessThanOrEqual(cap);
    }
  });
});
