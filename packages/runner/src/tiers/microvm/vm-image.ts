/**
 * The micro-VM guest image: a Debian kernel (`vmlinuz`) and an initramfs (`initrd.img`) holding
 * busybox (Debian's busybox-static) as the init and archiver, the kernel modules the guest
 * needs (virtio, 9p, fw_cfg), the running Node binary with its shared libraries, and this
 * `oxydra` installation. Built offline from Debian's repositories (`apt-get download`), no
 * registry and no root filesystem image; the same kernel serves QEMU with TCG or KVM.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, lstatSync, readdirSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ConfigError } from '@oxydra/types';
import { copyInstallation, guestFiles } from '../../image/guest-files.js';
import { forgetTierDetections } from '../detect-once.js';
import { type VmImage, vmImageIn } from './vm-image-dir.js';
import { VM_OXYDRA_DIR, vmInitScript } from './vm-init.js';

/** The drivers the guest loads, each after what it depends on (their .modinfo `depends=`). */
const MODULES = [
  'virtio_ring',
  'virtio',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  'virtio_console',
  'failover',
  'net_failover',
  'virtio_net',
  'netfs',
  'fscache',
  '9pnet',
  '9pnet_virtio',
  '9p',
  'qemu_fw_cfg',
];

function run(program: string, args: string[], cwd: string): string {
  try {
    return execFileSync(program, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '')
      .trim()
      .split('\n')
      .pop();
    throw new ConfigError(
      `building the micro-VM image: \`${program} ${args.join(' ')}\` failed${stderr ? `: ${stderr}` : ''}`,
      {},
      { hint: "the build needs Debian's apt-get and dpkg-deb, and a reachable Debian mirror" },
    );
  }
}

/** The kernel package `linux-image-amd64` currently stands for (e.g. linux-image-6.1.0-56-amd64). */
function kernelPackage(work: string): string {
  const depends = run('apt-cache', ['depends', 'linux-image-amd64'], work);
  const name = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)/.exec(depends)?.[1];
  if (name === undefined) {
    throw new ConfigError(
      'building the micro-VM image: apt knows no linux-image-amd64 kernel',
      {},
      {
        hint: "run `apt-get update` (the image is built from Debian's repositories)",
      },
    );
  }
  return name;
}

/**
 * The shared libraries `ldd` lists for `binary`, the dynamic loader included. An addon built
 * for another libc (libsql's musl build sits beside the glibc one) lists none: never loaded here.
 */
function sharedLibraries(binary: string): string[] {
  const out = spawnSync('ldd', [binary], { encoding: 'utf8' }).stdout ?? '';
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((match) => match[1]!);
}

/** Every path under `dir` (relative to `root`, parents first), for cpio. */
function listTree(root: string, dir = root): string[] {
  const entries: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    entries.push(relative(root, path));
    if (lstatSync(path).isDirectory()) entries.push(...listTree(root, path));
  }
  return entries;
}

/**
 * `busybox cpio -o -H newc` over the tree (the kernel unpacks it as the root), not compressed:
 * under TCG the guest kernel's gunzip of it took ~7 s of a ~17 s boot (Node alone is ~100 MB),
 * at every start; uncompressed it costs ~100 MB more on disk, and in the guest's RAM only until
 * it is unpacked (the kernel frees it then).
 */
async function writeInitramfs(busybox: string, root: string, out: string): Promise<void> {
  const cpio = spawn(busybox, ['cpio', '-o', '-H', 'newc'], { cwd: root, stdio: ['pipe', 'pipe', 'ignore'] });
  cpio.stdin.end(`${listTree(root).join('\n')}\n`);
  const exited = new Promise<number | null>((resolve) => cpio.once('exit', resolve));
  await pipeline(cpio.stdout, createWriteStream(out, { mode: 0o644 }));
  if ((await exited) !== 0) throw new Error('building the micro-VM image: busybox cpio failed');
}

export interface BuildOptions {
  /** [node, <oxydra root>/bin/oxydra.js]: the installation copied into the guest. */
  selfCommand: readonly string[];
  dir: string;
  log?: (line: string) => void;
}

export async function buildVmImage(options: BuildOptions): Promise<VmImage> {
  const log = options.log ?? (() => {});
  // The same installation the container tier's image holds; a missing one fails before downloads.
  const files = guestFiles(options.selfCommand);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(join(options.dir, '.build-'));
  try {
    const kernel = kernelPackage(work);
    log(`downloading ${kernel} and busybox-static from Debian`);
    run('apt-get', ['download', kernel, 'busybox-static'], work);
    const debs = join(work, 'debs');
    for (const deb of readdirSync(work).filter((name) => name.endsWith('.deb'))) {
      run('dpkg-deb', ['-x', deb, debs], work);
    }
    const root = join(work, 'root');
    for (const folder of [
      'bin',
      'usr/bin',
      'lib/modules',
      'proc',
      'sys',
      'dev',
      'run',
      'tmp',
      'etc',
      'root',
    ]) {
      await mkdir(join(root, folder), { recursive: true });
    }
    const busybox = join(debs, 'bin/busybox');
    await copyFile(busybox, join(root, 'bin/busybox'));

    const release = readdirSync(join(debs, 'lib/modules'))[0]!;
    const moduleFiles = new Map<string, string>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ko')) moduleFiles.set(name.slice(0, -3), path);
      }
    };
    walk(join(debs, 'lib/modules', release, 'kernel'));
    for (const name of MODULES) {
      const path = moduleFiles.get(name);
      if (path === undefined) throw new Error(`building the micro-VM image: ${kernel} has no module ${name}`);
      await copyFile(path, join(root, 'lib/modules', `${name}.ko`));
    }

    await copyFile(files.node, join(root, 'usr/bin/node'));
    copyInstallation(files, join(root, VM_OXYDRA_DIR));
    // Node's libraries, and those of the native addons (libsql's needs librt, for one).
    const binaries = [
      files.node,
      ...listTree(root)
        .filter((path) => path.endsWith('.node'))
        .map((path) => join(root, path)),
    ];
    for (const library of new Set(binaries.flatMap(sharedLibraries))) {
      await mkdir(join(root, dirname(library)), { recursive: true });
      await copyFile(library, join(root, library));
    }
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(root, 'etc/group'), 'root:x:0:\n');
    await writeFile(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
    await writeFile(join(root, 'init'), vmInitScript(MODULES));
    await chmod(join(root, 'init'), 0o755);

    log('writing the initramfs');
    await writeInitramfs(busybox, root, join(work, 'initrd.img'));
    const image = vmImageIn(options.dir);
    await copyFile(join(debs, 'boot', `vmlinuz-${release}`), join(work, 'vmlinuz'));
    await writeFile(
      join(work, 'manifest.json'),
      `${JSON.stringify({ kernel, release, node: process.version, built: new Date().toISOString() }, null, 2)}\n`,
    );
    // Each file replaced whole: a runner starting meanwhile sees the old image or the new one.
    for (const name of ['vmlinuz', 'initrd.img', 'manifest.json']) {
      await rename(join(work, name), join(options.dir, name));
    }
    // A detection made before the build saw no image.
    forgetTierDetections();
    return image;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
