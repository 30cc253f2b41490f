/**
 * The docker/podman differences, in engine-dialect.ts, and how they reach the guest's `run`:
 * rootless podman keeps the runner's uid (--userns keep-id), rootful podman and docker do not;
 * only podman's build takes --pull=never; rootless podman on a cgroup v1 host (which drops
 * --memory/--pids-limit/--cpus with a warning) refuses a user with [resources].
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ContainerEngine,
  containerRunArgs,
  engineDialect,
  refuseUnenforcedLimits,
} from '@oxydra/runner';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { ConfigError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';

const podman: ContainerEngine = { name: 'podman', path: '/usr/bin/podman', globalArgs: [] };
const docker: ContainerEngine = { name: 'docker', path: '/usr/bin/docker', globalArgs: [] };

describe('engineDialect', () => {
  it('maps the runner uid to itself under rootless podman only', () => {
    expect(engineDialect(podman, 1001).runArgs).toEqual(['--userns', 'keep-id']);
    expect(engineDialect(podman, 0).runArgs).toEqual([]);
    expect(engineDialect(docker, 1001).runArgs).toEqual([]);
    expect(engineDialect(docker, 0).runArgs).toEqual([]);
  });

  it("passes --pull=never to podman's build and nothing to docker's (a yes/no flag there)", () => {
    expect(engineDialect(podman, 0).buildArgs).toEqual(['--pull=never']);
    expect(engineDialect(docker, 0).buildArgs).toEqual([]);
  });

  it("puts the engine's options into run's own options, before the image", () => {
    const args = containerRunArgs({
      name: 'oxydra-container-alice-runtime',
      image: 'localhost/oxydra-guest:x',
      userId: 'alice',
      projectDir: '/w',
      uid: 1001,
      gid: 1001,
      resources: {},
      ulimits: { nofile: 1024, nproc: 512 },
      folders: { shared: '/w/shared', tmp: '/w/tmp', vault: '/w/vault' },
      guestIpc: '/w/ipc/guest',
      bootstrapDir: '/w/ipc/bootstrap',
      network: { egress: '/w/ipc/egress', gateway: '/w/ipc/gateway' },
      guestArgs: ['guest'],
      engineArgs: engineDialect(podman, 1001).runArgs,
    });
    const at = args.indexOf('--userns');
    expect(args[at + 1]).toBe('keep-id');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(args.indexOf('localhost/oxydra-guest:x'));
  });
});

describe('refuseUnenforcedLimits', () => {
  it('refuses [resources] under rootless podman on cgroup v1, with the fix; allows them elsewhere', () => {
    const scratch1 = tempWorkspace({ prefix: 'oxydra-cg1-' });
    const v1 = scratch1.dir;
    const scratch2 = tempWorkspace({ prefix: 'oxydra-cg2-' });
    const v2 = scratch2.dir;
    try {
      mkdirSync(join(v1, 'memory'));
      writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
      const rootlessV1 = engineDialect(podman, 1001, v1);
      expect(rootlessV1.limitsEnforced).toBe(false);
      let error: unknown;
      try {
        refuseUnenforcedLimits({ max_memory_mib: 512, max_processes: 64 }, podman, rootlessV1);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('ignores container resource limits');
      expect((error as ConfigError).message).toContain('max_memory_mib, max_processes');
      expect((error as ConfigError).hint).toContain('cgroup v2');
      // No limits asked: nothing is dropped, nothing to refuse.
      expect(() => refuseUnenforcedLimits({}, podman, rootlessV1)).not.toThrow();
      expect(() => refuseUnenforcedLimits(undefined, podman, rootlessV1)).not.toThrow();
      for (const dialect of [
        engineDialect(podman, 1001, v2),
        engineDialect(podman, 0, v1),
        engineDialect(docker, 1001, v1),
      ]) {
        expect(dialect.limitsEnforced).toBe(true);
        expect(() => refuseUnenforcedLimits({ max_memory_mib: 512 }, podman, dialect)).not.toThrow();
      }
    } finally {
      scratch1.cleanup();
      scratch2.cleanup();
    }
  });
});
