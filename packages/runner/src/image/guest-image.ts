/**
 * Which image a container-tier guest runs: the one runner.toml names, else the one
 * `oxydra runner image build` made for this very oxydra (same content hash). An image that is
 * not there is refused before anything starts, with the command that builds it; so is an engine
 * that would drop the user's [resources] (engine-dialect.ts).
 *
 * `runner start` resolves it before it starts the daemon, and hands the tag over in the
 * daemon's environment (imageHandoff), as it hands over the engine (tiers/detect-once.ts): the
 * daemon, a second later, would otherwise hash the installation's files and ask the engine again
 * (0.2 s and 0.1 s). The daemon takes a handed-over tag only when it is one this code would
 * resolve to: the configured image itself, or, with none configured, a tag of this very
 * installation's version in localhost/oxydra-guest (isGuestImageTag); anything else is ignored
 * and the image resolved as without it. Like the engine, it skips only the checks: an image
 * removed in between fails at the container's `run`, with the engine's error in the logs.
 */
import { ConfigError } from '@oxydra/types';
import type { RunnerPlan } from '../plan.js';
import type { ContainerEngine } from '../tiers/container-engine.js';
import { refuseUnenforcedLimits } from '../tiers/engine-dialect.js';
import { guestImageRecipe } from './build-image.js';
import { guestFiles, guestImageTag, isGuestImageTag, selfVersion } from './guest-files.js';
import { imageExists } from './images.js';

/** This oxydra's own guest image tag (whether or not it is built). */
export async function currentGuestImageTag(selfCommand: readonly string[]): Promise<string> {
  return guestImageTag(guestFiles(selfCommand), guestImageRecipe());
}

/** The variable that carries the resolved image from `runner start` to its daemon. */
const IMAGE_HANDOFF = 'OXYDRA_RUNNER_IMAGE';

/** `env` for the daemon `runner start` spawns: with the image it resolved, else without any. */
export function imageHandoff(env: NodeJS.ProcessEnv, image: string | undefined): NodeJS.ProcessEnv {
  const { [IMAGE_HANDOFF]: _inherited, ...rest } = env;
  return image === undefined ? rest : { ...rest, [IMAGE_HANDOFF]: image };
}

/** The image handed over in `env`, if it is one this plan and installation resolve to. */
function handedOver(plan: RunnerPlan, selfCommand: readonly string[], env: NodeJS.ProcessEnv) {
  const tag = env[IMAGE_HANDOFF];
  if (tag === undefined || tag === '') return undefined;
  const configured = plan.runner.guest_images.oxydra_vm;
  if (configured !== undefined) return tag === configured ? tag : undefined;
  return isGuestImageTag(tag, selfVersion(selfCommand)) ? tag : undefined;
}

/**
 * The image the user's container guest runs, checked to exist; `env` (the daemon's) may carry
 * the one `runner start` resolved, taken without checking again (above).
 */
export async function resolveGuestImage(
  plan: RunnerPlan,
  engine: ContainerEngine,
  selfCommand: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  refuseUnenforcedLimits(plan.user.resources, engine);
  const handed = handedOver(plan, selfCommand, env);
  if (handed !== undefined) return handed;
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
