/** The bootstrap envelope the runner sends one user's guest. */
import type { BootstrapEnvelope } from './envelope.js';
import { parseEnvelope } from './envelope.js';
import type { RunnerPlan } from './plan.js';
import { startupStatusFor } from './startup-status.js';
import type { GuestBackend } from './tiers/choose.js';
import { GUEST_WORKSPACE } from './tiers/container-args.js';

export function guestEnvelope(plan: RunnerPlan, backend: GuestBackend): BootstrapEnvelope {
  // The container and micro-VM guests see the user's folders at /workspace.
  const inContainer = backend.kind !== 'process';
  const root = inContainer ? GUEST_WORKSPACE : plan.paths.root;
  const folder = (key: 'shared' | 'tmp' | 'vault') =>
    inContainer ? `${GUEST_WORKSPACE}/${key}` : (plan.mounts[key] ?? plan.paths[key]);
  return parseEnvelope({
    user_id: plan.userId,
    sandbox_tier: plan.tier,
    workspace_root: root,
    runtime_policy: {
      mounts: { shared: folder('shared'), tmp: folder('tmp'), vault: folder('vault') },
      resources: plan.user.resources ?? {},
      credential_refs: plan.user.credential_refs,
    },
    startup_status: startupStatusFor({
      tier: plan.tier,
      insecure: plan.insecure,
      shellEnabled: plan.shellEnabled,
      browserEnabled: plan.browserEnabled,
    }),
  });
}
