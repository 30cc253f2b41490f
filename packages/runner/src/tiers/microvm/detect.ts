/**
 * Whether this machine can run micro-VM guests, and with what: QEMU (Debian's qemu-system-x86)
 * with KVM where /dev/kvm is usable, else with TCG, QEMU's software emulation (slow, but the
 * same guest, devices and code path), and a guest image built by `oxydra runner vm build`.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { findOnPath } from '../find-program.js';
import type { Accelerator } from './qemu-args.js';
import { findVmImage, type VmImage, vmImageDir } from './vm-image-dir.js';

/** How a micro-VM guest is booted here (in this file so detection never imports the launcher). */
export interface MicroVmBackend {
  kind: 'micro_vm';
  qemu: string;
  accel: Accelerator;
  image: VmImage;
}

export type MicroVmDetection =
  | { ok: true; backend: MicroVmBackend }
  | { ok: false; problem: string; fix: string };

/**
 * KVM as QEMU uses it: /dev/kvm open to us, and a CPU with hardware virtualization (vmx, svm).
 * Without those, a /dev/kvm is another backend, such as PVM (kvm_pvm, on these nested hosts),
 * which boots only kernels built for it: Debian's hung there with no output.
 */
export function kvmUsable(cpuinfo = '/proc/cpuinfo', device = '/dev/kvm'): boolean {
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
    return /^flags\s*:.*\b(?:vmx|svm)\b/m.test(readFileSync(cpuinfo, 'utf8'));
  } catch {
    return false;
  }
}

export function detectMicroVm(
  env: NodeJS.ProcessEnv = process.env,
  hasKvm: () => boolean = kvmUsable,
): MicroVmDetection {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return {
      ok: false,
      problem: `micro-VM guests run on Linux x86-64 only (this is ${process.platform}/${process.arch})`,
      fix: 'run the runner on a Linux x86-64 host',
    };
  }
  const qemu = findOnPath('qemu-system-x86_64', env);
  if (qemu === undefined) {
    return {
      ok: false,
      problem: 'qemu-system-x86_64 is not on PATH',
      fix: 'install QEMU (`sudo apt-get install qemu-system-x86`)',
    };
  }
  const dir = vmImageDir(env);
  const image = findVmImage(dir);
  if (image === undefined) {
    return {
      ok: false,
      problem: `no micro-VM guest image in ${dir}`,
      fix: 'build it with `oxydra runner vm build`',
    };
  }
  const accel: Accelerator = hasKvm() ? 'kvm' : 'tcg';
  return { ok: true, backend: { kind: 'micro_vm', qemu, accel, image } };
}

/** How the tier runs here, for `runner status` and doctor. */
export function describeMicroVm(backend: MicroVmBackend): string {
  return backend.accel === 'kvm'
    ? 'QEMU with KVM'
    : 'QEMU with TCG software emulation (no usable /dev/kvm: slow boots and turns)';
}
