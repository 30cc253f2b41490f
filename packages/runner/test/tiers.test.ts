/**
 * Isolation tiers: the container argv (every hardening flag), the engine detection (found,
 * installed but not answering, absent) and the refusals that name what to install.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  autoTier,
  type ContainerGuestSpec,
  chooseBackend,
  containerName,
  containerRunArgs,
  detectContainerEngine,
  engineHandoff,
  findOnPath,
  guestEnvNames,
  guestUlimits,
  planRunner,
  tierReport,
} from '@oxydra/runner';
import { ConfigError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { useFakeBin, valuesOf } from './helpers.js';

const spec: ContainerGuestSpec = {
  name: containerName('alice', 'runtime'),
  image: 'localhost/oxydra-guest:0.1.0-abc',
  userId: 'alice',
  projectDir: '/srv/project',
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
    expect(valuesOf(args, '--label')).toEqual(['org.oxydra.user=alice', 'org.oxydra.project=/srv/project']);
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
  const bin = useFakeBin();

  it('finds programs on PATH only when executable', () => {
    writeFileSync(join(bin.dir, 'plain'), 'x');
    bin.program('tool', 'exit 0');
    expect(findOnPath('tool', { PATH: bin.dir })).toBe(join(bin.dir, 'tool'));
    expect(findOnPath('plain', { PATH: bin.dir })).toBeUndefined();
  });

  it('refuses the container tier when neither docker nor podman is installed, naming both', () => {
    const detection = detectContainerEngine({ PATH: bin.dir });
    expect(detection).toMatchObject({ ok: false, problem: 'neither docker nor podman is on PATH' });
    let error: unknown;
    try {
      chooseBackend({ tier: 'container', insecure: false, shellEnabled: true, env: { PATH: bin.dir } });
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
    bin.program(
      'docker',
      'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2; exit 1',
    );
    expect(() =>
      chooseBackend({ tier: 'container', insecure: false, shellEnabled: true, env: { PATH: bin.dir } }),
    ).toThrow(/docker is installed but does not answer \(Cannot connect to the Docker daemon/);
  });

  it('uses an engine that answers (podman when docker is down)', () => {
    bin.program('docker', 'exit 1');
    bin.program('podman', '[ "$1" = info ] && exit 0; exit 1');
    // runc too: on a host with hybrid cgroups (these machines) podman needs it (tested below).
    bin.program('runc', 'exit 0');
    expect(
      chooseBackend({ tier: 'container', insecure: false, shellEnabled: true, env: { PATH: bin.dir } }),
    ).toMatchObject({
      kind: 'container',
      engine: { name: 'podman', path: join(bin.dir, 'podman') },
    });
  });

  it('prefers docker, and uses only the engine OXYDRA_CONTAINER_ENGINE names', () => {
    bin.program('docker', '[ "$1" = info ] && exit 0; exit 1');
    bin.program('podman', '[ "$1" = info ] && exit 0; exit 1');
    bin.program('runc', 'exit 0');
    expect(detectContainerEngine({ PATH: bin.dir })).toMatchObject({ ok: true, engine: { name: 'docker' } });
    expect(detectContainerEngine({ PATH: bin.dir, OXYDRA_CONTAINER_ENGINE: 'podman' })).toMatchObject({
      ok: true,
      engine: { name: 'podman', path: join(bin.dir, 'podman') },
    });
    expect(detectContainerEngine({ PATH: bin.dir, OXYDRA_CONTAINER_ENGINE: 'lxc' })).toMatchObject({
      ok: false,
      problem: 'OXYDRA_CONTAINER_ENGINE is "lxc", not docker or podman',
    });
    // The named engine down or absent: refused, never the other one instead.
    bin.program('docker', 'echo "Cannot connect to the Docker daemon" >&2; exit 1');
    expect(detectContainerEngine({ PATH: bin.dir, OXYDRA_CONTAINER_ENGINE: 'docker' })).toMatchObject({
      ok: false,
      problem: 'docker is installed but does not answer (Cannot connect to the Docker daemon)',
    });
    rmSync(join(bin.dir, 'podman'));
    expect(detectContainerEngine({ PATH: bin.dir, OXYDRA_CONTAINER_ENGINE: 'podman' })).toMatchObject({
      ok: false,
      problem: 'OXYDRA_CONTAINER_ENGINE asks for podman, which is not on PATH',
    });
  });

  it('asks the engine once per process: the same environment reuses the answer', () => {
    const calls = join(bin.dir, 'calls');
    bin.program('podman', `echo "$1" >> '${calls}'; [ "$1" = info ] && exit 0; exit 1`);
    bin.program('runc', 'exit 0');
    const env = { PATH: bin.dir };
    const request = { tier: 'container' as const, insecure: false, shellEnabled: true, env };
    expect(chooseBackend(request)).toMatchObject({ kind: 'container' });
    expect(chooseBackend(request)).toMatchObject({ kind: 'container' });
    expect(autoTier(env)).toBe('container');
    expect(readFileSync(calls, 'utf8')).toBe('info\n');
    // Another environment (another PATH) is another machine as far as detection knows.
    chooseBackend({ ...request, env: { PATH: bin.dir } });
    expect(readFileSync(calls, 'utf8')).toBe('info\ninfo\n');
  });

  it("hands the engine it found to the daemon's environment, which takes it without probing", () => {
    const calls = join(bin.dir, 'calls');
    bin.program('podman', `echo "$1" >> '${calls}'; [ "$1" = info ] && exit 0; exit 1`);
    bin.program('runc', 'exit 0');
    const env = { PATH: bin.dir };
    expect(engineHandoff(env)).toBe(env); // nothing detected yet: nothing to hand over
    const request = { tier: 'container' as const, insecure: false, shellEnabled: true };
    const found = chooseBackend({ ...request, env });
    const daemonEnv = engineHandoff(env);
    expect(daemonEnv.OXYDRA_RUNNER_ENGINE).toContain(join(bin.dir, 'podman'));
    expect(chooseBackend({ ...request, env: daemonEnv })).toEqual(found);
    expect(readFileSync(calls, 'utf8')).toBe('info\n');
    // A handoff that is not an engine's is ignored: the engine is probed as usual.
    for (const handoff of [
      'not json',
      JSON.stringify({ name: 'podman', path: 'podman', globalArgs: [] }),
      JSON.stringify({ name: 'podman', path: '/usr/bin/sh', globalArgs: [] }),
      JSON.stringify({ name: 'podman', path: join(bin.dir, 'podman'), globalArgs: ['--privileged', '1'] }),
    ]) {
      chooseBackend({ ...request, env: { PATH: bin.dir, OXYDRA_RUNNER_ENGINE: handoff } });
    }
    // One that agrees with the operator's OXYDRA_CONTAINER_ENGINE is taken; one naming the other
    // engine is ignored, and the chosen one probed.
    chooseBackend({ ...request, env: { ...daemonEnv, OXYDRA_CONTAINER_ENGINE: 'podman' } });
    expect(readFileSync(calls, 'utf8')).toBe('info\n'.repeat(5));
    bin.program('docker', '[ "$1" = info ] && exit 0; exit 1');
    expect(
      chooseBackend({ ...request, env: { ...daemonEnv, OXYDRA_CONTAINER_ENGINE: 'docker' } }),
    ).toMatchObject({ engine: { name: 'docker' } });
  });

  it('runs podman with runc where crun cannot (hybrid cgroups), and refuses without runc', () => {
    bin.program('podman', '[ "$1" = info ] && exit 0; exit 1');
    const controllers = join(bin.dir, 'cgroup.controllers');
    writeFileSync(controllers, 'hugetlb\n');
    const refused = detectContainerEngine({ PATH: bin.dir }, controllers);
    expect(refused).toMatchObject({ ok: false, fix: 'install runc (`sudo apt-get install runc`)' });
    expect(refused.ok ? '' : refused.problem).toContain('hybrid cgroup setup (v2 controllers: hugetlb)');
    bin.program('runc', 'exit 0');
    expect(detectContainerEngine({ PATH: bin.dir }, controllers)).toMatchObject({
      ok: true,
      engine: { globalArgs: ['--runtime', join(bin.dir, 'runc')] },
    });
    writeFileSync(controllers, '');
    expect(detectContainerEngine({ PATH: bin.dir }, controllers)).toMatchObject({
      ok: true,
      engine: { globalArgs: [] },
    });
    expect(detectContainerEngine({ PATH: bin.dir }, join(bin.dir, 'absent'))).toMatchObject({
      ok: true,
      engine: { globalArgs: [] },
    });
  });

  it('refuses micro_vm without QEMU, then without a guest image, naming the fix', () => {
    const env = { PATH: bin.dir, OXYDRA_MICROVM_DIR: join(bin.dir, 'no-image') };
    expect(() => chooseBackend({ tier: 'micro_vm', insecure: false, shellEnabled: true, env })).toThrow(
      'sandbox tier "micro_vm" cannot start: qemu-system-x86_64 is not on PATH',
    );
    bin.program('qemu-system-x86_64', 'exit 0');
    // A detection is remembered per environment object: a copy stands for a new process.
    const later = { ...env };
    expect(() =>
      chooseBackend({ tier: 'micro_vm', insecure: false, shellEnabled: true, env: later }),
    ).toThrow(
      `sandbox tier "micro_vm" cannot start: no micro-VM guest image in ${join(bin.dir, 'no-image')}`,
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
      expect(chooseBackend({ tier, insecure: true, shellEnabled: true, env: { PATH: bin.dir } })).toEqual({
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
  const bin = useFakeBin();

  it('reports the container tier as not working without an engine, with the fix, and auto picks process', async () => {
    const report = await tierReport({
      env: { PATH: bin.dir },
      detectOsSandbox: () => ({ tier: 'bubblewrap' }),
    });
    expect(report.map((state) => [state.tier, state.works])).toEqual([
      ['process', true],
      ['container', false],
      ['micro_vm', false],
    ]);
    expect(report[1]).toMatchObject({ detail: 'neither docker nor podman is on PATH' });
    expect(report[1]!.fix).toContain('Podman (`sudo apt-get install podman`)');
    expect(autoTier({ PATH: bin.dir })).toBe('process');
  });

  it('plans default_tier = "auto" without detecting until the tier is read, then detects once', async () => {
    const calls = join(bin.dir, 'calls');
    bin.program('podman', `echo "$1" >> '${calls}'; [ "$1" = info ] && exit 0; exit 1`);
    bin.program('runc', 'exit 0');
    const project = join(bin.dir, 'project');
    mkdirSync(join(project, '.oxydra/users'), { recursive: true });
    writeFileSync(
      join(project, '.oxydra/runner.toml'),
      'default_tier = "auto"\n[users.alice]\nconfig_path = "users/alice.toml"\n',
    );
    writeFileSync(join(project, '.oxydra/users/alice.toml'), '');
    const env = { PATH: bin.dir };
    const plan = await planRunner({ cwd: project, env });
    // What `runner stop` or `logs` read: the user's folders, never the tier.
    expect(plan.paths.controlSocket).toContain('alice');
    expect(existsSync(calls)).toBe(false);
    expect(plan.tier).toBe('container');
    expect(chooseBackend({ tier: plan.tier, insecure: false, shellEnabled: true, env })).toMatchObject({
      kind: 'container',
    });
    expect(plan.tier).toBe('container');
    expect(readFileSync(calls, 'utf8')).toBe('info\n');
  });

  it('reports an engine whose guest image is not built, naming the build command; auto still picks container', async () => {
    bin.program('podman', '[ "$1" = info ] && exit 0; exit 1');
    bin.program('runc', 'exit 0');
    const report = await tierReport({
      env: { PATH: bin.dir },
      guestImage: async () => 'localhost/oxydra-guest:0-x',
    });
    expect(report[1]).toMatchObject({ tier: 'container', works: false });
    expect(report[1]!.detail).toMatch(
      /podman.* answers, but the guest image localhost\/oxydra-guest:0-x is not built/,
    );
    expect(report[1]!.fix).toContain('oxydra runner image build');
    expect(autoTier({ PATH: bin.dir })).toBe('container');
  });
});
