/**
 * `oxydra runner image build|list|prune`: the container tier's guest image, built offline from
 * Debian's repositories with mmdebstrap and this oxydra, imported into the local engine.
 */
import {
  buildGuestImage,
  type ContainerEngine,
  currentGuestImageTag,
  detectContainerEngine,
  listGuestImages,
  pruneGuestImages,
} from '@oxydra/runner';
import { UsageError } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { selfCommand } from '../run/self-command.js';

export interface ImageBuildFlags {
  suite?: string;
  mirror?: string;
  force?: boolean;
}

/** The engine, or a one-line error naming the package to install. */
function engineOrRefuse(): ContainerEngine {
  const detection = detectContainerEngine();
  if (!detection.ok) {
    throw new UsageError(`the guest image needs a container engine, but ${detection.problem}`, {
      hint: detection.fix,
    });
  }
  return detection.engine;
}

export async function runRunnerImageBuild(flags: ImageBuildFlags): Promise<number> {
  if (flags.suite !== undefined && !/^[a-z][a-z0-9-]*$/.test(flags.suite)) {
    throw new UsageError(`--suite ${flags.suite}: expected a Debian release name such as bookworm`);
  }
  if (flags.mirror !== undefined && !/^https?:\/\/\S+$/.test(flags.mirror)) {
    throw new UsageError(`--mirror ${flags.mirror}: expected an http:// or https:// URL of a Debian mirror`);
  }
  const engine = engineOrRefuse();
  const started = Date.now();
  const outcome = await buildGuestImage({
    engine,
    selfCommand: selfCommand(),
    ...(flags.suite !== undefined ? { suite: flags.suite } : {}),
    ...(flags.mirror !== undefined ? { mirror: flags.mirror } : {}),
    ...(flags.force ? { force: true } : {}),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    outcome.built
      ? `built ${outcome.tag} in ${seconds} s\n`
      : `${outcome.tag} is up to date (rebuild with --force)\n`,
  );
  return EXIT_OK;
}

export async function runRunnerImageList(flags: { json?: boolean }): Promise<number> {
  const engine = engineOrRefuse();
  const current = await currentGuestImageTag(selfCommand());
  const images = listGuestImages(engine).map((image) => ({ ...image, current: image.tag === current }));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ current, images })}\n`);
    return EXIT_OK;
  }
  if (images.length === 0) {
    process.stdout.write('no guest images; build one with `oxydra runner image build`\n');
    return EXIT_OK;
  }
  for (const image of images) {
    process.stdout.write(
      `${image.tag}  ${image.size}  ${image.created}${image.current ? '  (this oxydra)' : ''}\n`,
    );
  }
  return EXIT_OK;
}

export async function runRunnerImagePrune(): Promise<number> {
  const engine = engineOrRefuse();
  const outcome = pruneGuestImages(engine, await currentGuestImageTag(selfCommand()));
  for (const tag of outcome.removed) process.stdout.write(`removed ${tag}\n`);
  for (const kept of outcome.kept) process.stderr.write(`kept ${kept.tag}: ${kept.reason}\n`);
  if (outcome.removed.length === 0 && outcome.kept.length === 0) {
    process.stdout.write("nothing to prune (only this oxydra's image, if any)\n");
  }
  return outcome.kept.length > 0 ? EXIT_FAILURE : EXIT_OK;
}
