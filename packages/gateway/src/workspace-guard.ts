/**
 * The gateway's watch on its workspace's state: `.oxydra/` (and kernel.db) recorded by identity
 * at start and looked at on every request and turn, and every few seconds when nothing asks,
 * so removing or replacing the folder under a running gateway is noticed (logged once, the
 * scheduler stopped) instead of sessions going on into files nobody will open again. /readyz
 * then answers 503 with the reason, and requests and turns are refused until a restart opens
 * the folder that is there now.
 */
import type { Kernel } from '@oxydra/kernel';
import { WorkspaceIdentity } from '@oxydra/kernel/workspace';
import { GatewayError } from './errors.js';
import type { GatewayLogger } from './types.js';

const WORKSPACE_MOVED = "the workspace's .oxydra/ was removed or replaced while the gateway ran; restart it";
const DEFAULT_INTERVAL_MS = 5000;

export interface WorkspaceGuard {
  /** The one-line refusal when the state moved ("…; restart it (.oxydra/ was removed …)"). */
  problem(): string | undefined;
  /** Throws GatewayError workspace_moved when the state moved. */
  assertSound(): void;
  stop(): void;
}

export function startWorkspaceGuard(
  kernel: Kernel,
  log: GatewayLogger,
  onMoved: () => void,
  intervalMs = DEFAULT_INTERVAL_MS,
): WorkspaceGuard {
  const identity = WorkspaceIdentity.capture(kernel.workspace);
  let told = false;
  const problem = (): string | undefined => {
    const reason = identity.problem();
    if (reason === undefined) return undefined;
    if (!told) {
      told = true;
      log('error', WORKSPACE_MOVED, { reason, workspace: kernel.workspace });
      onMoved();
    }
    return `${WORKSPACE_MOVED} (${reason})`;
  };
  const timer = setInterval(problem, intervalMs);
  timer.unref();
  return {
    problem,
    assertSound() {
      const message = problem();
      if (message !== undefined) throw new GatewayError('workspace_moved', message);
    },
    stop: () => clearInterval(timer),
  };
}
