/**
 * Isolation tiers: the container argv (every hardening flag), the engine detection (found,
 * installed but not answering, absent) and the refusals that name what to install.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ContainerGuestSpec,
  chooseBackend,
  containerName,
  containerRunArgs,
  detectContainerEngine,
  findOnPath,
  guestEnvNames,
} from '@oxydra/runner';
import { ConfigError } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const spec: ContainerGuestSpec = {
  name: containerName('alice', 'runtime'),
  image: 'oxydra-vm:latest',
  uid: 1000,
  gid: 1000,
  resources: { max_vcpus: 2, max_memory_mib: 512, max_processes: 128 },
  workspace: '/srv/ws/alice',
  mounts: {},
  bootstrapDir: '/srv/ws/alice/tmp/bootstrap',
  envNames: ['OPENAI_API_KEY', 'OXYDRA__RUNTIME__MAX_TURNS'],
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
  });

  it("applies the user's resource limits", () => {
    expect(valuesOf(args, '--pids-limit')).toEqual(['128']);
    expect(valuesOf(args, '--memory')).toEqual(['512m']);
    expect(valuesOf(args, '--cpus')).toEqual(['2']);
    const unlimited = containerRunArgs({ ...spec, resources: {} });
    for (const flag of ['--pids-limit', '--memory', '--cpus']) expect(unlimited).not.toContain(flag);
  });

  it('mounts only the workspace, the vault read-only and the envelope read-only', () => {
    expect(valuesOf(args, '--volume')).toEqual([
      '/srv/ws/alice:/workspace',
      '/srv/ws/alice/vault:/workspace/vault:ro',
      '/srv/ws/alice/tmp/bootstrap:/run/oxydra/bootstrap:ro',
    ]);
    const mounted = containerRunArgs({ ...spec, mounts: { shared: '/data/shared', vault: '/data/vault' } });
    expect(valuesOf(mounted, '--volume')).toContain('/data/shared:/workspace/shared');
    expect(valuesOf(mounted, '--volume')).toContain('/data/vault:/workspace/vault:ro');
  });

  it('passes secrets by variable name only, so values never appear in the argv', () => {
    expect(valuesOf(args, '--env')).toEqual([
      'OXYDRA_BOOTSTRAP_FILE=/run/oxydra/bootstrap/runner_bootstrap.json',
      'OPENAI_API_KEY',
      'OXYDRA__RUNTIME__MAX_TURNS',
    ]);
  });

  it('names the container oxydra-container-<user>-runtime and ends with image and guest args', () => {
    expect(valuesOf(args, '--name')).toEqual(['oxydra-container-alice-runtime']);
    expect(args.slice(-4)).toEqual(['oxydra-vm:latest', ...spec.guestArgs]);
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
    expect(
      chooseBackend({ tier: 'container', insecure: false, shellEnabled: true, env: { PATH: bin } }),
    ).toEqual({
      kind: 'container',
      engine: { name: 'podman', path: join(bin, 'podman') },
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
