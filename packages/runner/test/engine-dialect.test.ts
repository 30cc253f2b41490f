/**
 * The docker/podman differences, in engine-dialect.ts, and how they reach the guest's `run`:
 * rootless podman keeps the runner's uid (--userns keep-id), rootful podman and docker do not;
 * only podman's build takes --pull=never.
 */
import { type ContainerEngine, containerRunArgs, engineDialect } from '@oxydra/runner';
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
