/**
 * Which isolation tiers work on this machine and why not: what `oxydra doctor` and
 * `runner status` show, and what `default_tier = "auto"` picks from (the strongest that works).
 */
import type { IsolationTier } from '@oxydra/types';
import { imageExists } from '../image/images.js';
import { chooseBackend, type OsSandbox } from './choose.js';
import { containerEngineOnce, microVmOnce } from './detect-once.js';
import { describeMicroVm } from './microvm/detect.js';

export interface TierState {
  tier: IsolationTier;
  works: boolean;
  detail: string;
  fix?: string;
}

export interface TierReportRequest {
  env?: NodeJS.ProcessEnv;
  /** The guest image a container guest would run; its absence is reported with the fix. */
  guestImage?: () => Promise<string>;
  detectOsSandbox?: () => OsSandbox;
}

function processTier(request: TierReportRequest): TierState {
  try {
    const backend = chooseBackend({
      tier: 'process',
      insecure: false,
      shellEnabled: true,
      ...(request.env ? { env: request.env } : {}),
      ...(request.detectOsSandbox ? { detectOsSandbox: request.detectOsSandbox } : {}),
    });
    const sandbox = backend.kind === 'process' ? backend.shellSandbox : 'none';
    return { tier: 'process', works: true, detail: `guest as a host process, shell commands in ${sandbox}` };
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    return {
      tier: 'process',
      works: false,
      detail: (error as Error).message,
      ...(hint ? { fix: hint } : {}),
    };
  }
}

async function containerTier(request: TierReportRequest): Promise<TierState> {
  const detection = containerEngineOnce(request.env);
  if (!detection.ok)
    return { tier: 'container', works: false, detail: detection.problem, fix: detection.fix };
  const { engine } = detection;
  const runtime = engine.globalArgs.length > 0 ? ` (${engine.globalArgs.join(' ')})` : '';
  if (request.guestImage) {
    const image = await request.guestImage();
    if (!imageExists(engine, image)) {
      return {
        tier: 'container',
        works: false,
        detail: `${engine.name}${runtime} answers, but the guest image ${image} is not built`,
        fix: "`oxydra runner image build` (a few minutes, from Debian's repositories)",
      };
    }
    return { tier: 'container', works: true, detail: `${engine.name}${runtime}, image ${image}` };
  }
  return { tier: 'container', works: true, detail: `${engine.name}${runtime}` };
}

export async function tierReport(request: TierReportRequest = {}): Promise<TierState[]> {
  return [processTier(request), await containerTier(request), microVmTier(request)];
}

function microVmTier(request: TierReportRequest): TierState {
  const detection = microVmOnce(request.env);
  if (!detection.ok) return { tier: 'micro_vm', works: false, detail: detection.problem, fix: detection.fix };
  return { tier: 'micro_vm', works: true, detail: describeMicroVm(detection.backend) };
}

/**
 * `default_tier = "auto"`: the strongest tier whose engine works here. A micro-VM only with
 * KVM (under software emulation a turn takes seconds: chosen by name, never by auto). A
 * container engine that answers picks the container tier even before its image is built: the
 * start then refuses with `oxydra runner image build`, rather than silently running a weaker box
 * than the machine has.
 */
export function autoTier(env: NodeJS.ProcessEnv = process.env): IsolationTier {
  const vm = microVmOnce(env);
  if (vm.ok && vm.backend.accel === 'kvm') return 'micro_vm';
  return containerEngineOnce(env).ok ? 'container' : 'process';
}
