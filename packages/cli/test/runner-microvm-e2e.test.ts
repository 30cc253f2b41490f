/**
 * The micro_vm tier for real: `oxydra runner vm build` makes the guest image from Debian's
 * packages, `runner start` boots it under QEMU (TCG here: no /dev/kvm), the guest's gateway
 * answers a turn whose shell_exec runs inside the VM and writes the user's shared folder
 * (9p), against the testkit's mock LLM on the host (10.0.2.2 from the guest); `runner stop`
 * closes the control channel and the VM goes away, leaving nothing behind.
 *
 * Opt-in (OXYDRA_TEST_MICROVM=1, which CI sets): under software emulation on 2 cores a run takes
 * 40 s on a quiet machine and up to 3.5 minutes on a loaded one, image build included, and the
 * build needs a Debian mirror. OXYDRA_MICROVM_DIR reuses an image already built.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath } from '@oxydra/runner';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { OXYDRA_BIN } from './helpers.js';
import { alive, stopEverything, workspaceOf, writeRunnerConfig } from './runner-helpers.js';

const OPT_IN = process.env.OXYDRA_TEST_MICROVM === '1';
const hasQemu = findOnPath('qemu-system-x86_64') !== undefined;
const MINUTES = 60_000;

let env: AgentEnv | undefined;
const seenPids: number[] = [];

/** The binary with a long timeout (sandbox.run gives 20 s; a TCG boot takes longer). */
function runLong(agent: AgentEnv, args: string[], timeoutMs: number) {
  const result = spawnSync(process.execPath, [OXYDRA_BIN, ...args], {
    cwd: agent.workspace,
    env: agent.sandbox.env,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(async () => {
  if (env) {
    await stopEverything(env.sandbox, ['alice'], seenPids.splice(0));
    await env.close();
  }
});

describe.skipIf(!OPT_IN || !hasQemu)('micro_vm tier under QEMU (opt-in: OXYDRA_TEST_MICROVM=1)', () => {
  beforeAll(async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      {
        match: { lastMessageContains: 'Make a file' },
        reply: {
          toolCalls: [{ name: 'shell_exec', arguments: { command: 'echo made > made.txt && uname -r' } }],
        },
      },
      { reply: { text: 'Made it in the VM.' } },
    ]);
    const sandbox = env.sandbox;
    sandbox.env.OXYDRA_MICROVM_DIR = process.env.OXYDRA_MICROVM_DIR ?? join(sandbox.root, 'microvm');
    // The provider key reaches the guest only because the user file names it (fw_cfg, never argv).
    writeRunnerConfig(sandbox, {
      defaultTier: 'micro_vm',
      users: { alice: '[credential_refs]\nmock = "MOCK_KEY"\n' },
    });
    // The guest reaches the host's loopback (the mock) at 10.0.2.2, QEMU's user network.
    const agentToml = readFileSync(join(env.workspace, '.oxydra/agent.toml'), 'utf8').replace(
      'http://127.0.0.1:',
      'http://10.0.2.2:',
    );
    const userConfig = join(workspaceOf(sandbox), 'shared/.oxydra');
    mkdirSync(userConfig, { recursive: true });
    writeFileSync(join(userConfig, 'agent.toml'), agentToml);
  }, 2 * MINUTES);

  it(
    'builds the image, boots, answers a turn in the VM, and stops leaving nothing',
    async () => {
      const agent = env!;
      const image = agent.sandbox.env.OXYDRA_MICROVM_DIR!;
      if (!existsSync(join(image, 'initrd.img'))) {
        const build = runLong(agent, ['runner', 'vm', 'build'], 5 * MINUTES);
        expect(build.stderr).toContain('downloading linux-image-');
        expect(build.status).toBe(0);
        // The initramfs is a plain newc cpio, not gzipped: no gunzip in the guest at each boot.
        const head = Buffer.alloc(6);
        const fd = openSync(join(image, 'initrd.img'), 'r');
        readSync(fd, head, 0, 6, 0);
        closeSync(fd);
        expect(head.toString('latin1')).toBe('070701');
      }
      const vmStatus = runLong(agent, ['runner', 'vm', 'status'], MINUTES);
      expect(vmStatus.stdout).toMatch(/micro_vm tier: available \(QEMU with (KVM|TCG)/);

      const start = runLong(agent, ['runner', 'start', '--wait', '600'], 11 * MINUTES);
      expect(start.stderr).toBe('');
      expect(start.status).toBe(0);
      expect(start.stdout).toMatch(/gateway: ws:\/\/127\.0\.0\.1:\d+\/ws/);
      const health = JSON.parse(runLong(agent, ['runner', 'status', '--json'], MINUTES).stdout) as {
        healthy: boolean;
        sandbox_tier: string;
        runner_pid: number;
        runtime_pid: number;
        gateway_endpoint: string;
      };
      seenPids.push(health.runner_pid, health.runtime_pid);
      expect(health).toMatchObject({ healthy: true, sandbox_tier: 'micro_vm' });
      // The runtime is QEMU itself; its argv carries no secret (they went by fw_cfg).
      const argv = readFileSync(`/proc/${health.runtime_pid}/cmdline`, 'utf8');
      expect(argv).toContain('qemu-system-x86_64');
      expect(argv).not.toContain('sk-e2e-secret');
      const ws = workspaceOf(agent.sandbox);
      // The variables file is gone once the guest answered.
      expect(existsSync(join(ws, 'ipc/vm-env'))).toBe(false);

      const base = health.gateway_endpoint.replace(/^ws/, 'http').replace(/\/ws$/, '');
      // The guest's own token (not the host gateway's), which the runner keeps in ipc/.
      const token = readFileSync(join(ws, 'ipc/gateway-token'), 'utf8').trim();
      const reply = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'Make a file' }] }),
        signal: AbortSignal.timeout(5 * MINUTES),
      });
      expect(reply.status).toBe(200);
      const body = (await reply.json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0]!.message.content).toBe('Made it in the VM.');
      // Written inside the VM, through 9p, into alice's folder on the host.
      expect(readFileSync(join(ws, 'shared/made.txt'), 'utf8')).toBe('made\n');
      // The command ran in the guest kernel (Debian's), whatever the host runs.
      expect(agent.requestText(1)).toMatch(/\d+\.\d+\.\d+-\d+-amd64/);
      const logs = runLong(agent, ['runner', 'logs', '--tail', '100'], MINUTES).stdout;
      expect(logs).toMatch(/oxydra-vm: booted in [\d.]+ s/);

      const stop = runLong(agent, ['runner', 'stop'], 2 * MINUTES);
      expect(stop.status).toBe(0);
      expect(stop.stdout).toBe('runner for user alice: stopped\n');
      await pollUntil(
        () => !alive(health.runtime_pid) && !alive(health.runner_pid),
        'QEMU and the daemon to exit',
        {
          timeoutMs: MINUTES,
        },
      );
      // The guest stopped on the closed control channel (its lifeline), before any kill.
      expect(readFileSync(join(ws, 'logs/runtime.stderr.log'), 'utf8')).toContain(
        'guest: stopping: the runner closed stdin',
      );
      for (const file of ['vm-control.sock', 'vm-stderr.sock', 'vm-env', 'gateway-endpoint', 'runner.pid']) {
        expect(existsSync(join(ws, 'ipc', file))).toBe(false);
      }
    },
    20 * MINUTES,
  );
});
