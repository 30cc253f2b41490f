/**
 * What a container guest leaves for the runner's next start, and what it makes the runner do
 * while it runs. The daemon runs in this process with the real egress proxy and folders; the
 * engine is a stand-in program (a real child process that holds the `run` open and reads its
 * secrets), so no container engine is needed.
 */
import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planRunner, RunnerDaemon, type RunnerPlan } from '@oxydra/runner';
import { tunnel } from '@oxydra/sandbox';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, expect, it } from 'vitest';

let tmp: TempWorkspace;
let plan: RunnerPlan;
let daemon: RunnerDaemon | undefined;

beforeEach(async () => {
  tmp = tempWorkspace({
    prefix: 'oxydra-logcap-',
    files: {
      '.oxydra/runner.toml': '[users.alice]\nconfig_path = "users/alice.toml"\n',
      '.oxydra/users/alice.toml': '',
    },
  });
  plan = await planRunner({ cwd: tmp.dir, insecure: true });
});

afterEach(async () => {
  await daemon?.shutdown('test over');
  await daemon?.done;
  daemon = undefined;
  tmp.cleanup();
});

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
