/**
 * The tier detections, once per process: `default_tier = "auto"`, the backend choice and the
 * tier report each asked the machine again, and `podman info` alone takes about a second (the
 * daemon of one `runner start` ran it three times). Results are kept per environment object
 * (process.env in the CLI and the daemon; a test's own object gets its own detection) and PATH,
 * and forgotten with forgetTierDetections() where the machine changes under the process (a
 * micro-VM image just built).
 */
import { detectContainerEngine, type EngineDetection } from './container-engine.js';
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

export function containerEngineOnce(env: NodeJS.ProcessEnv = process.env): EngineDetection {
  return once(engines, env, (e) => detectContainerEngine(e));
}

export function microVmOnce(env: NodeJS.ProcessEnv = process.env): MicroVmDetection {
  return once(microVms, env, (e) => detectMicroVm(e));
}

/** The next detection asks the machine again. */
export function forgetTierDetections(): void {
  engines = new WeakMap();
  microVms = new WeakMap();
}
