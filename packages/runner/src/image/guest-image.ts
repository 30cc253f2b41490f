/**
 * Which image a container-tier guest runs: the one runner.toml names, else the one
 * `oxydra runner image build` made for this very oxydra (same content hash). An image that is
 * not there is refused before anything starts, with the command that builds it; so is an engine
 * that would drop the user's [resources] (engine-dialect.ts).
 */
import { ConfigError } from '@oxydra/types';
import type { RunnerPlan } from '../plan.js';
import type { ContainerEngine } from '../tiers/container-engine.js';
import { refuseUnenforcedLimits } from '../tiers/engine-dialect.js';
import { guestImageRecipe } from './build-image.js';
import { guestFiles, guestImageTag } from './guest-files.js';
import { imageExists } from './images.js';

/** This oxydra's own guest image tag (whether or not it is built). */
export async function currentGuestImageTag(selfCommand: readonly string[]): Promise<string> {
  return guestImageTag(guestFiles(selfCommand), guestImageRecipe());
}

export async function resolveGuestImage(
  plan: RunnerPlan,
  engine: ContainerEngine,
  selfCommand: readonly string[],
): Promise<string> {
  refuseUnenforcedLimits(plan.user.resources, engine);
  const configured = plan.runner.guest_images.oxydra_vm;
  const image = configured ?? (await currentGuestImageTag(selfCommand));
  if (imageExists(engine, image)) return image;
  if (configured !== undefined) {
    throw new ConfigError(
      `guest_images.oxydra_vm names ${configured}, which ${engine.name} does not have`,
      { source: plan.configPath, keyPath: 'guest_images.oxydra_vm' },
      { hint: "build this oxydra's own with `oxydra runner image build` and remove guest_images.oxydra_vm" },
    );
  }
  throw new ConfigError(
    `the container tier's guest image for this oxydra (${image}) is not built`,
    { source: plan.configPath },
    { hint: "build it (a few minutes, from Debian's repositories): `oxydra runner image build`" },
  );
}
