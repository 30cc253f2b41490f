/**
 * Where the micro-VM guest image lives and what is known about it, apart from how it is built
 * (vm-image.ts): detection and `runner status` read these without importing the builder.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface VmImage {
  dir: string;
  kernel: string;
  initrd: string;
}

/** `$OXYDRA_MICROVM_DIR`, else `$XDG_CACHE_HOME/oxydra/microvm` (`~/.cache/...`). */
export function vmImageDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OXYDRA_MICROVM_DIR) return env.OXYDRA_MICROVM_DIR;
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'oxydra', 'microvm');
}

export function vmImageIn(dir: string): VmImage {
  return { dir, kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
}

/** The image in `dir` if both files are there. */
export function findVmImage(dir: string): VmImage | undefined {
  const image = vmImageIn(dir);
  return existsSync(image.kernel) && existsSync(image.initrd) ? image : undefined;
}

/** What `runner status`/doctor show about the built image. */
export async function vmImageManifest(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
