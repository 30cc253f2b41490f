/**
 * The container engine for the container tier: Docker or Podman, found on PATH and answering.
 * A client whose daemon is down is not an engine: we say so rather than fail at launch.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findOnPath } from './find-program.js';

const CONTAINER_ENGINES = ['docker', 'podman'] as const;
type ContainerEngineName = (typeof CONTAINER_ENGINES)[number];

export interface ContainerEngine {
  name: ContainerEngineName;
  path: string;
  /** Options before the subcommand (`--runtime runc` where crun cannot run containers here). */
  globalArgs: string[];
}

export type EngineDetection =
  | { ok: true; engine: ContainerEngine }
  | { ok: false; problem: string; fix: string };

const PROBE_TIMEOUT_MS = 15_000;

/** The variable that names the one engine to use, when both may be present. */
export const ENGINE_CHOICE = 'OXYDRA_CONTAINER_ENGINE';

/**
 * The engines to try, in order: docker then podman, or only the one `OXYDRA_CONTAINER_ENGINE`
 * names (then the other is never used instead: the operator chose). Another value is refused.
 */
function enginesToTry(
  env: NodeJS.ProcessEnv,
): { names: readonly ContainerEngineName[] } | (EngineDetection & { ok: false }) {
  const chosen = env[ENGINE_CHOICE];
  if (chosen === undefined || chosen === '') return { names: CONTAINER_ENGINES };
  const known = CONTAINER_ENGINES.find((name) => name === chosen);
  if (known !== undefined) return { names: [known] };
  return {
    ok: false,
    problem: `${ENGINE_CHOICE} is "${chosen.slice(0, 40)}", not docker or podman`,
    fix: `set ${ENGINE_CHOICE} to docker or podman, or unset it to use whichever answers`,
  };
}

export function detectContainerEngine(
  env: NodeJS.ProcessEnv = process.env,
  cgroupControllersFile = '/sys/fs/cgroup/unified/cgroup.controllers',
): EngineDetection {
  const engines = enginesToTry(env);
  if (!('names' in engines)) return engines;
  const unreachable: string[] = [];
  for (const name of engines.names) {
    const path = findOnPath(name, env);
    if (path === undefined) continue;
    // `info` talks to the engine itself (the Docker daemon, Podman's storage): `version` would not.
    const probe = spawnSync(path, ['info'], { env, encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
    if (probe.status === 0) {
      if (name !== 'podman') return { ok: true, engine: { name, path, globalArgs: [] } };
      const runtime = podmanRuntime(env, cgroupControllersFile);
      if (runtime.ok) return { ok: true, engine: { name, path, globalArgs: runtime.globalArgs } };
      unreachable.push(runtime.problem);
      continue;
    }
    const reason =
      firstLine(probe.stderr) ?? (probe.error ? probe.error.message : `exit code ${probe.status}`);
    unreachable.push(`${name} is installed but does not answer (${reason})`);
  }
  if (unreachable.length > 0) {
    return {
      ok: false,
      problem: unreachable.join('; '),
      fix: unreachable.some((line) => line.includes('runc'))
        ? 'install runc (`sudo apt-get install runc`)'
        : 'start the Docker daemon (e.g. `sudo systemctl start docker`) or install Podman (`sudo apt-get install podman`)',
    };
  }
  if (engines.names.length === 1) {
    return {
      ok: false,
      problem: `${ENGINE_CHOICE} asks for ${engines.names[0]}, which is not on PATH`,
      fix: `install ${engines.names[0]}, or unset ${ENGINE_CHOICE} to use whichever engine answers`,
    };
  }
  return {
    ok: false,
    problem: 'neither docker nor podman is on PATH',
    fix: 'install Docker (https://docs.docker.com/engine/install/) or Podman (`sudo apt-get install podman`)',
  };
}

/**
 * crun (Podman's default OCI runtime on Debian) refuses a cgroup "hybrid" host, v1 controllers
 * with a v2 hierarchy that holds some too (`cgroups in hybrid mode not supported`), as on
 * machines whose init mounts both; runc runs there. Elsewhere the engine's own default is kept.
 */
function podmanRuntime(
  env: NodeJS.ProcessEnv,
  unified: string,
): { ok: true; globalArgs: string[] } | { ok: false; problem: string } {
  let controllers = '';
  try {
    controllers = readFileSync(unified, 'utf8').trim();
  } catch {
    return { ok: true, globalArgs: [] };
  }
  if (controllers === '') return { ok: true, globalArgs: [] };
  const runc = findOnPath('runc', env);
  if (runc === undefined) {
    return {
      ok: false,
      problem: `podman's default runtime (crun) cannot run containers on this host's hybrid cgroup setup (v2 controllers: ${controllers}) and runc is not installed`,
    };
  }
  return { ok: true, globalArgs: ['--runtime', runc] };
}

function firstLine(text: string | null | undefined): string | undefined {
  const line = text
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return line === undefined ? undefined : line.slice(0, 200);
}
