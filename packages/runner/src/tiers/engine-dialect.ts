/**
 * Where docker and podman differ behind the CLI they share, in one place: the image build, the
 * guest's `run` and the image import are otherwise the same argv on either engine.
 */
import type { ContainerEngine } from './container-engine.js';

export interface EngineDialect {
  /** Options of `build` after the subcommand. */
  buildArgs: string[];
  /** Options of `run` after the subcommand. */
  runArgs: string[];
}

export function engineDialect(
  engine: ContainerEngine,
  euid: number | undefined = process.geteuid?.(),
): EngineDialect {
  if (engine.name === 'docker') {
    // Docker's `build --pull` is a yes/no (pull a newer base), off by default: the local base is
    // used as it is. Its daemon is rootful, so `--user` is the host's uid as given.
    return { buildArgs: [], runArgs: [] };
  }
  const rootless = euid !== undefined && euid !== 0;
  return {
    buildArgs: ['--pull=never'],
    // Rootless podman maps the container's uid 0 to the runner's uid and the others to its
    // subordinate range: `--user <runner uid>` would then be a stranger on the host, unable to
    // write the user's own (0700) folders. keep-id maps the runner's uid to itself inside.
    runArgs: rootless ? ['--userns', 'keep-id'] : [],
  };
}
