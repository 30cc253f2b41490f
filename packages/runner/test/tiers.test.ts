/**
 * Isolation tiers: the container argv (every hardening flag), the engine detection (found,
 * installed but not answering, absent) and the refusals that name what to install.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  autoTier,
  type ContainerGuestSpec,
  chooseBackend,
  containerName,
  containerRunArgs,
  detectContainerEngine,
  findOnPath,
  guestEnvNames,
  guestUlimits,
  tierReport,
} from '@oxydra/runner';
import { ConfigError } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const spec: ContainerGuestSpec = {
  name: containerName('alice', 'runtime'),
  image: 'localhost/oxydra-guest:0.1.0-abc',
  userId: 'alice',
  uid: 1000,
  gid: 1000,
  resources: { max_vcpus: 2, max_memory_mib: 512, max_processes: 128 },
  ulimits: { nofile: 20000, nproc: 4096 },
  folders: { shared: '/srv/ws/alice/shared', tmp: '/srv/ws/alice/tmp', vault: '/data/vault' },
  guestIpc: '/srv/ws/alice/ipc/guest',
  bootstrapDir: '/srv/ws/alice/ipc/bootstrap',
  network: { egress: '/srv/ws/alice/ipc/egress', gateway: '/srv/ws/alice/ipc/gateway' },
  guestArgs: ['guest', '--bootstrap-file', '/run/oxydra/bootstrap/runner_bootstrap.json'],
};

/** The value following `flag` each time it appears. */
function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1]!] : []));
}

describe('containerRunArgs', () => {
  const args = containerRunArgs(spec);

  it('runs as the operator, never root, with no capabilities and no privilege escalation', () => {
    expect(args.slice(0, 2)).toEqual(['run', '--rm']);
    expect(valuesOf(args, '--user')).toEqual(['1000:1000']);
    expect(valuesOf(args, '--cap-drop')).toEqual(['ALL']);
    expect(valuesOf(args, '--security-opt')).toEqual(['no-new-privileges']);
    expect(args).not.toContain('--privileged');
    // The engine's default seccomp profile stays on.
    expect(args.join(' ')).not.toContain('seccomp');
  });

  it('runs on a read-only root with a memory /tmp, an init, the local image only, labelled', () => {
    expect(args).toContain('--read-only');
    expect(args).toContain('--init');
    expect(valuesOf(args, '--tmpfs')).toEqual(['/tmp:rw,nosuid,nodev,mode=1777']);
    expect(valuesOf(args, '--pull')).toEqual(['never']);
    expect(valuesOf(args, '--label')).toEqual(['org.oxydra.user=alice']);
    expect(valuesOf(args, '--ulimit')).toEqual(['nofile=20000:20000', 'nproc=4096:4096']);
  });

  it("applies the user's resource limits", () => {
    expect(valuesOf(args, '--pids-limit')).toEqual(['128']);
    expect(valuesOf(args, '--memory')).toEqual(['512m']);
    expect(valuesOf(args, '--memory-swap')).toEqual(['512m']);
    expect(valuesOf(args, '--cpus')).toEqual(['2']);
    const unlimited = containerRunArgs({ ...spec, resources: {} });
    for (const flag of ['--pids-limit', '--memory', '--memory-swap', '--cpus']) {
      expect(unlimited).not.toContain(flag);
    }
  });

  it("mounts only the user's folders, the vault and the envelope read-only, never ipc/ itself", () => {
    expect(valuesOf(args, '--volume')).toEqual([
      '/srv/ws/alice/shared:/workspace/shared',
      '/srv/ws/alice/tmp:/workspace/tmp',
      '/data/vault:/workspace/vault:ro',
      '/srv/ws/alice/ipc/guest:/workspace/ipc',
      '/srv/ws/alice/ipc/bootstrap:/run/oxydra/bootstrap:ro',
      '/srv/ws/alice/ipc/egress:/run/oxydra/egress:ro',
      '/srv/ws/alice/ipc/gateway:/run/oxydra/gateway',
    ]);
  });

  it('gives the guest no network and no secret in its environment (they come on stdin)', () => {
    expect(valuesOf(args, '--network')).toEqual(['none']);
    expect(args).toContain('--interactive');
    expect(valuesOf(args, '--env')).toEqual([
      'HOME=/tmp',
      'OXYDRA_BOOTSTRAP_FILE=/run/oxydra/bootstrap/runner_bootstrap.json',
    ]);
  });

  it('names the container oxydra-container-<user>-runtime and ends with image and guest args', () => {
    expect(valuesOf(args, '--name')).toEqual(['oxydra-container-alice-runtime']);
    expect(args.slice(-4)).toEqual(['localhost/oxydra-guest:0.1.0-abc', ...spec.guestArgs]);
  });
});

describe('guestEnvNames', () => {
  it('forwards provider keys, credential_refs and OXYDRA__ overrides that are set, nothing else', () => {
    const env = {
      OPENAI_API_KEY: 'k',
      MY_TOKEN: 't',
      OXYDRA__MEMORY__ENABLED: 'false',
      HOME: '/h',
      AWS_SECRET: 's',
    };
    expect(guestEnvNames(env, { custom: 'MY_TOKEN', missing: 'NOT_SET' })).toEqual([
      'MY_TOKEN',
      'OPENAI_API_KEY',
      'OXYDRA__MEMORY__ENABLED',
    ]);
  });
});

describe('engine detection and tier refusals', () => {
  let bin: string;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'oxydra-bin-'));
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  function fakeProgram(name: string, script: string): void {
    writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, name), 0o755);
  }

  it('finds programs on PATH only when executable', () => {
    writeFileSync(join(bin, 'plain'), 'x');
    fakeProgram('tool', 'exit 0');
    expect(findOnPath('tool', { PATH: bin })).toBe(join(bin, 'tool'));
    expect(findOnPath('plain', { PATH: bin })).toBeUndefined();
  });

  it('refuses the container tier when neither docker nor podman is installed, naming both', () => {
    const detection = detectContainerEngine({ PATH: bin });
    expect(detection).toMatchObject({ ok: false, problem: 'neither docker nor podman is on PATH' });
    let error: unknown;
    try {
      chooseBackend({ tier: 'container', insecure: false, shellEnabled: true, env: { PATH: bin } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'sandbox tier "container" needs a container engine, but neither docker nor podman is on PATH',
    );
    expect((error as ConfigError).hint).toMatch(/install Docker \(https:\/\/docs\.docker\.com.*\) or Podman/);
  });

  it('refuses a docker whose daemon does not answer, quoting its error', () => {
    fakeProgram(
      'docker',
      'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2; exit 1',
    );
    expect(() =>
      chooseBackend({ tier: 'container', insecure: false, shellEnabled: true, env: { PATH: bin } }),
    ).toThrow(/docker is installed but does not answer \(Cannot connect to the Docker daemon/);
  });

  it('uses an engine that answers (podman when docker is down)', () => {
    fakeProgram('docker', 'exit 1');
    fakeProgram('podman', '[ "$1" = info ] && exit 0; exit 1');
    // runc too: on a host with hybrid cgroups (these machines) podman needs it (tested below).
    fakeProgram('runc', 'exit 0');
    expect(
      chooseBackend({ tier: 'container', insecure: false, shellEnabled: true, env: { PATH: bin } }),
    ).toMatchObject({
      kind: 'container',
      engine: { name: 'podman', path: join(bin, 'podman') },
    });
  });

  it('runs podman with runc where crun cannot (hybrid cgroups), and refuses without runc', () => {
    fakeProgram('podman', '[ "$1" = info ] && exit 0; exit 1');
    const controllers = join(bin, 'cgroup.controllers');
    writeFileSync(controllers, 'hugetlb\n');
    const refused = detectContainerEngine({ PATH: bin }, controllers);
    expect(refused).toMatchObject({ ok: false, fix: 'install runc (`sudo apt-get install runc`)' });
    expect(refused.ok ? '' : refused.problem).toContain('hybrid cgroup setup (v2 controllers: hugetlb)');
    fakeProgram('runc', 'exit 0');
    expect(detectContainerEngine({ PATH: bin }, controllers)).toMatchObject({
      ok: true,
      engine: { globalArgs: ['--runtime', join(bin, 'runc')] },
    });
    writeFileSync(controllers, '');
    expect(detectContainerEngine({ PATH: bin }, controllers)).toMatchObject({
      ok: true,
      engine: { globalArgs: [] },
    });
    expect(detectContainerEngine({ PATH: bin }, join(bin, 'absent'))).toMatchObject({
      ok: true,
      engine: { globalArgs: [] },
    });
  });

  it('refuses micro_vm without QEMU, then without a guest image, naming the fix', () => {
    const env = { PATH: bin, OXYDRA_MICROVM_DIR: join(bin, 'no-image') };
    expect(() => chooseBackend({ tier: 'micro_vm', insecure: false, shellEnabled: true, env })).toThrow(
      'sandbox tier "micro_vm" cannot start: qemu-system-x86_64 is not on PATH',
    );
    fakeProgram('qemu-system-x86_64', 'exit 0');
    expect(() => chooseBackend({ tier: 'micro_vm', insecure: false, shellEnabled: true, env })).toThrow(
      `sandbox tier "micro_vm" cannot start: no micro-VM guest image in ${join(bin, 'no-image')}`,
    );
  });

  it('refuses the process tier without an OS sandbox unless --insecure, or the shell is off', () => {
    const none = () => ({
      tier: 'none' as const,
      problem: 'bubblewrap is not installed',
      fix: 'sudo apt-get install bubblewrap',
    });
    expect(() =>
      chooseBackend({ tier: 'process', insecure: false, shellEnabled: true, detectOsSandbox: none }),
    ).toThrow(
      /sandbox tier "process" runs the guest's shell commands in an OS sandbox .*, but bubblewrap is not installed/,
    );
    expect(
      chooseBackend({ tier: 'process', insecure: false, shellEnabled: false, detectOsSandbox: none }),
    ).toEqual({
      kind: 'process',
      shellSandbox: 'none',
    });
    for (const tier of ['bubblewrap', 'sandbox_exec'] as const) {
      expect(
        chooseBackend({
          tier: 'process',
          insecure: false,
          shellEnabled: true,
          detectOsSandbox: () => ({ tier }),
        }),
      ).toEqual({
        kind: 'process',
        shellSandbox: tier,
      });
    }
  });

  it('--insecure forces the process tier without a sandbox, whatever the configured tier', () => {
    for (const tier of ['process', 'container', 'micro_vm'] as const) {
      expect(chooseBackend({ tier, insecure: true, shellEnabled: true, env: { PATH: bin } })).toEqual({
        kind: 'process',
        shellSandbox: 'none',
      });
    }
  });
});

describe('guestUlimits', () => {
  it("gives the guest the runner's hard limits, capped, and the caps for unlimited or unreadable ones", () => {
    const limits = [
      'Limit                     Soft Limit           Hard Limit           Units',
      'Max processes             96364                96364                processes',
      'Max open files            1024                 20000                files',
    ].join('\n');
    expect(guestUlimits(limits)).toEqual({ nofile: 20000, nproc: 32768 });
    expect(guestUlimits('Max open files  unlimited  unlimited  files\n')).toEqual({
      nofile: 65536,
      nproc: 32768,
    });
    expect(guestUlimits('Max open files  100  512  files\nMax processes  10  64  processes\n')).toEqual({
      nofile: 512,
      nproc: 64,
    });
  });
});

describe('which tiers work here, and default_tier = "auto"', () => {
  let bin: string;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'oxydra-bin-'));
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  function fakeProgram(name: string, script: string): void {
    writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, name), 0o755);
  }

  it('reports the container tier as not working without an engine, with the fix, and auto picks process', async () => {
    const report = await tierReport({ env: { PATH: bin }, detectOsSandbox: () => ({ tier: 'bubblewrap' }) });
    expect(report.map((state) => [state.tier, state.works])).toEqual([
      ['process', true],
      ['container', false],
      ['micro_vm', false],
    ]);
    expect(report[1]).toMatchObject({ detail: 'neither docker nor podman is on PATH' });
    expect(report[1]!.fix).toContain('Podman (`sudo apt-get install podman`)');
    expect(autoTier({ PATH: bin })).toBe('process');
  });

  it('reports an engine whose guest image is not built, naming the build command; auto still picks container', async () => {
    fakeProgram('podman', '[ "$1" = info ] && exit 0; exit 1');
    fakeProgram('runc', 'exit 0');
    const report = await tierReport({
      env: { PATH: bin },
      guestImage: async () => 'localhost/oxydra-guest:0-x',
    });
    expect(report[1]).toMatchObject({ tier: 'container', works: false });
    expect(report[1]!.detail).toMatch(
      /podman.* answers, but the guest image localhost\/oxydra-guest:0-x is not built/,
    );
    expect(report[1]!.fix).toContain('oxydra runner image build');
    expect(autoTier({ PATH: bin })).toBe('container');
  });
});
