/**
 * The tier detections, once per process: `default_tier = "auto"`, the backend choice and the
 * tier report each asked the machine again, and `podman info` alone takes about a second (the
 * daemon of one `runner start` ran it three times). Results are kept per environment object
 * (process.env in the CLI and the daemon; a test's own object gets its own detection) and PATH,
 * and forgotten with forgetTierDetections() where the machine changes under the process (a
 * micro-VM image just built). `runner start` hands the engine it found to the daemon it spawns
 * (engineHandoff), which would otherwise run the same probe again a second later; the guest
 * image it resolved goes the same way (image/guest-image.ts).
 */
import { basename, isAbsolute } from 'node:path';
import {
  type ContainerEngine,
  detectContainerEngine,
  ENGINE_CHOICE,
  type EngineDetection,
} from './container-engine.js';
import { detectMicroVm, type MicroVmDetection } from './microvm/detect.js';

interface Remembered<T> {
  path: string | undefined;
  detection: T;
}

let engines = new WeakMap<NodeJS.ProcessEnv, Remembered<EngineDetection>>();
let microVms = new WeakMap<NodeJS.ProcessEnv, Remembered<MicroVmDetection>>();

function once<T>(
  cache: WeakMap<NodeJS.ProcessEnv, Remembered<T>>,
  env: NodeJS.ProcessEnv,
  detect: (env: NodeJS.ProcessEnv) => T,
): T {
  const remembered = cache.get(env);
  if (remembered !== undefined && remembered.path === env.PATH) return remembered.detection;
  const detection = detect(env);
  cache.set(env, { path: env.PATH, detection });
  return detection;
}

/** The variable that carries a found engine from `runner start` to its daemon. */
const ENGINE_HANDOFF = 'OXYDRA_RUNNER_ENGINE';

/**
 * The engine in `env`'s handoff variable, if it is one: docker or podman at an absolute path
 * named so, with no options but `--runtime <absolute path>`; anything else is ignored and the
 * engine detected. It comes from the environment, like the PATH detection searches: it can name
 * no program PATH could not, and it skips only the probe (a dead engine then fails at `run`).
 */
function handedOver(env: NodeJS.ProcessEnv): ContainerEngine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(env[ENGINE_HANDOFF] ?? '');
  } catch {
    return undefined;
  }
  const engine = value as Partial<ContainerEngine> | null;
  const absolute = (path: unknown): path is string => typeof path === 'string' && isAbsolute(path);
  if (engine?.name !== 'docker' && engine?.name !== 'podman') return undefined;
  // An operator's explicit choice wins over whatever a parent process found.
  const chosen = env[ENGINE_CHOICE];
  if (chosen !== undefined && chosen !== '' && chosen !== engine.name) return undefined;
  if (!absolute(engine.path) || basename(engine.path) !== engine.name) return undefined;
  const args = engine.globalArgs;
  const argsOk =
    Array.isArray(args) &&
    (args.length === 0 || (args.length === 2 && args[0] === '--runtime' && absolute(args[1])));
  return argsOk ? { name: engine.name, path: engine.path, globalArgs: [...args] } : undefined;
}

/** The engine handed over in `env` (by the `runner start` that spawned this daemon), else detected. */
export function containerEngineOnce(env: NodeJS.ProcessEnv = process.env): EngineDetection {
  return once(engines, env, (e) => {
    const engine = handedOver(e);
    return engine ? { ok: true, engine } : detectContainerEngine(e);
  });
}

/** `env` for a daemon this process spawns: with the engine it found, if it looked for one. */
export function engineHandoff(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const remembered = engines.get(env);
  if (remembered === undefined || remembered.path !== env.PATH || !remembered.detection.ok) return env;
  return { ...env, [ENGINE_HANDOFF]: JSON.stringify(remembered.detection.engine) };
}

export function microVmOnce(env: NodeJS.ProcessEnv = process.env): MicroVmDetection {
  return once(microVms, env, (e) => detectMicroVm(e));
}

/** The next detection asks the machine again. */
export function forgetTierDetections(): void {
  engines = new WeakMap();
  microVms = new WeakMap();
}
