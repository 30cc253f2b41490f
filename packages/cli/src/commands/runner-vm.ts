/**
 * `oxydra runner vm build|status`: the micro-VM tier's guest image (a Debian kernel and an
 * initramfs with Node and this oxydra), built offline from Debian's repositories into
 * $OXYDRA_MICROVM_DIR or ~/.cache/oxydra/microvm, and whether this machine can boot it.
 */
import { buildVmImage, describeMicroVm, detectMicroVm, vmImageDir, vmImageManifest } from '@oxydra/runner';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { selfCommand } from '../run/self-command.js';

export async function runRunnerVmBuild(): Promise<number> {
  const dir = vmImageDir();
  const started = Date.now();
  const image = await buildVmImage({
    selfCommand: selfCommand(),
    dir,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`micro-VM guest image built in ${seconds} s:\n  ${image.kernel}\n  ${image.initrd}\n`);
  return EXIT_OK;
}

export async function runRunnerVmStatus(): Promise<number> {
  const detection = detectMicroVm();
  if (!detection.ok) {
    process.stdout.write(`micro_vm tier: unavailable: ${detection.problem}\n  fix: ${detection.fix}\n`);
    return EXIT_FAILURE;
  }
  const manifest = await vmImageManifest(vmImageDir());
  process.stdout.write(
    `micro_vm tier: available (${describeMicroVm(detection.backend)})\n  image: ${detection.backend.image.dir}${manifest ? ` (kernel ${String(manifest.release)}, built ${String(manifest.built)})` : ''}\n`,
  );
  return EXIT_OK;
}
