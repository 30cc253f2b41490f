/**
 * From the user's isolation tier to a way of launching the guest, or a refusal that names
 * what to install. Nothing pretends: a tier we cannot provide here is refused before launch.
 */
import { detectSandbox } from '@oxydra/sandbox/detect';
import { ConfigError, type IsolationTier } from '@oxydra/types';
import type { ContainerEngine } from './container-engine.js';
import { containerEngineOnce, microVmOnce } from './detect-once.js';
import type { MicroVmBackend } from './microvm/detect.js';

export type GuestBackend =
  /** The guest is a host process; `shellSandbox` says how its shell commands are isolated. */
  | { kind: 'process'; shellSandbox: OsSandbox['tier'] }
  /** `image` is resolved (and checked to exist) before launch: see image/guest-image.ts. */
  | { kind: 'container'; engine: ContainerEngine; image?: string }
  /** QEMU (KVM, else software emulation) booting the guest image: see microvm/detect.ts. */
  | MicroVmBackend;

export interface BackendRequest {
  tier: IsolationTier;
  insecure: boolean;
  shellEnabled: boolean;
  env?: NodeJS.ProcessEnv;
  /** Injected by tests; the real detection by default. */
  detectOsSandbox?: () => OsSandbox;
}

function refuse(message: string, fix: string): never {
  throw new ConfigError(message, {}, { hint: fix });
}

/** The OS sandbox this machine gives shell commands: bubblewrap (Linux) or sandbox-exec (macOS). */
export interface OsSandbox {
  tier: 'bubblewrap' | 'sandbox_exec' | 'none';
  problem?: string;
  fix?: string;
}

function realOsSandbox(): OsSandbox {
  const detection = detectSandbox();
  return {
    tier: detection.tier,
    ...(detection.degradation ? { problem: detection.degradation } : {}),
    ...(detection.fix ? { fix: detection.fix } : {}),
  };
}

export function chooseBackend(request: BackendRequest): GuestBackend {
  const env = request.env ?? process.env;
  if (request.insecure) return { kind: 'process', shellSandbox: 'none' };
  switch (request.tier) {
    case 'process': {
      // Without a shell there is nothing to sandbox inside the guest.
      if (!request.shellEnabled) return { kind: 'process', shellSandbox: 'none' };
      const sandbox = (request.detectOsSandbox ?? realOsSandbox)();
      if (sandbox.tier === 'none') {
        refuse(
          `sandbox tier "process" runs the guest's shell commands in an OS sandbox (bubblewrap on Linux, sandbox-exec on macOS), but ${sandbox.problem ?? 'none is available'}`,
          `${sandbox.fix ?? 'install bubblewrap (`sudo apt-get install bubblewrap`)'}; or pass --insecure to run without a sandbox (not recommended)`,
        );
      }
      return { kind: 'process', shellSandbox: sandbox.tier };
    }
    case 'container': {
      const detection = containerEngineOnce(env);
      if (!detection.ok) {
        refuse(
          `sandbox tier "container" needs a container engine, but ${detection.problem}`,
          `${detection.fix}; or use the process tier (default_tier = "process" in runner.toml, or --insecure)`,
        );
      }
      return { kind: 'container', engine: detection.engine };
    }
    case 'micro_vm': {
      const detection = microVmOnce(env);
      if (!detection.ok) {
        refuse(
          `sandbox tier "micro_vm" cannot start: ${detection.problem}`,
          `${detection.fix}; or use default_tier = "container" or "process" in runner.toml`,
        );
      }
      return detection.backend;
    }
  }
}
