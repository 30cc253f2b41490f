/**
 * `oxydra runner tui` and `runner start --tui`: connect-only. Finds the user's running guest
 * through its control socket and opens the terminal UI (`oxydra tui`) on its gateway; never
 * starts anything.
 */
import { queryRunner, type RunnerPlan, readGuestGatewayToken } from '@oxydra/runner';
import { UsageError } from '@oxydra/types';
import { openTui } from './tui.js';

export async function connectTui(plan: RunnerPlan): Promise<number> {
  const state = await queryRunner(plan);
  const endpoint = state.running ? state.health.gateway_endpoint : undefined;
  if (!endpoint) {
    const why = state.running
      ? `the guest of user ${plan.userId} has no gateway up`
      : `no running guest for user ${plan.userId}`;
    throw new UsageError(`${why}; start it with \`oxydra runner start --user ${plan.userId}\``, {
      ...(state.running && state.health.message ? { hint: state.health.message } : {}),
    });
  }
  // A container or micro-VM guest has a token of its own; a process-tier guest uses the host's.
  const token = await readGuestGatewayToken(plan.paths);
  return openTui(
    { gateway: endpoint, user: plan.userId },
    token === undefined ? undefined : { value: token, source: plan.paths.gatewayToken },
  );
}
