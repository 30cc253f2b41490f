/**
 * Where docker and podman differ behind the CLI they share, in one place: the image build, the
 * guest's `run` and the image import are otherwise the same argv on either engine.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@oxydra/types';
import type { ContainerEngine } from './container-engine.js';

export interface EngineDialect {
  /** Options of `build` after the subcommand. */
  buildArgs: string[];
  /** Options of `run` after the subcommand. */
  runArgs: string[];
  /**
   * Whether `--memory`, `--pids-limit` and `--cpus` are applied. Rootless podman on a cgroup v1
   * host only warns "Resource limits are not supported and ignored" and runs without them.
   */
  limitsEnforced: boolean;
}

export function engineDialect(
  engine: ContainerEngine,
  euid: number | undefined = process.geteuid?.(),
  cgroupRoot = '/sys/fs/cgroup',
): EngineDialect {
  if (engine.name === 'docker') {
    // Docker's `build --pull` is a yes/no (pull a newer base), off by default: the local base is
    // used as it is. Its daemon is rootful, so `--user` is the host's uid as given.
    return { buildArgs: [], runArgs: [], limitsEnforced: true };
  }
  const rootless = euid !== undefined && euid !== 0;
  // A cgroup v2 host has the unified hierarchy at the root (its controllers file is there).
  const cgroupV2 = existsSync(join(cgroupRoot, 'cgroup.controllers'));
  return {
    limitsEnforced: !rootless || cgroupV2,
    buildArgs: ['--pull=never'],
    // Rootless podman maps the container's uid 0 to the runner's uid and the others to its
    // subordinate range: `--user <runner uid>` would then be a stranger on the host, unable to
    // write the user's own (0700) folders. keep-id maps the runner's uid to itself inside.
    runArgs: rootless ? ['--userns', 'keep-id'] : [],
  };
}

/**
 * Refuses a guest whose [resources] the engine would silently drop (fail closed, as for the
 * sandbox): better no start than a guest without the memory or process ceiling asked for.
 */
export function refuseUnenforcedLimits(
  resources: { max_vcpus?: number; max_memory_mib?: number; max_processes?: number } | undefined,
  engine: ContainerEngine,
  dialect: EngineDialect = engineDialect(engine),
): void {
  const asked = Object.entries(resources ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key);
  if (dialect.limitsEnforced || asked.length === 0) return;
  throw new ConfigError(
    `rootless podman on this cgroup v1 host ignores container resource limits, so the user's [resources] ${asked.join(', ')} would not apply`,
    { keyPath: 'resources' },
    {
      hint: 'run the runner as root, or boot the host with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or remove [resources] from the user file',
    },
  );
}
