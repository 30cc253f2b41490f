/**
 * Doctor's runner checks, only where a runner is configured (.oxydra/runner.toml): which
 * isolation tiers work on this machine, and why not, with the fix.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { currentGuestImageTag, type TierState, tierReport } from '@oxydra/runner';
import { selfCommand } from '../run/self-command.js';
import type { Check } from './doctor-check.js';

function tierCheck(state: TierState): Check {
  return {
    name: `runner ${state.tier}`,
    status: state.works ? 'ok' : 'warn',
    detail: state.works ? state.detail : `does not work here: ${state.detail}`,
    ...(state.fix && !state.works ? { fix: state.fix } : {}),
  };
}

export async function runnerChecks(workspace: string): Promise<Check[]> {
  if (!existsSync(join(workspace, '.oxydra', 'runner.toml'))) return [];
  const tiers = await tierReport({ guestImage: () => currentGuestImageTag(selfCommand()) });
  return tiers.map(tierCheck);
}
