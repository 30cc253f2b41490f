/**
 * The `qemu-system-x86_64` arguments of a micro-VM guest: a pure function, so every device is
 * unit-tested without QEMU. No default devices, no display, no reboot: the guest's console
 * (ttyS0) is QEMU's stdout and its stderr (ttyS1) a connection to a socket of the runner's, both
 * read by the runner into its capped logs (never a file QEMU writes itself, which a guest
 * flooding its console would grow without bound); the control port is a
 * virtio-serial port connected to the runner's socket; the user's folders are 9p shares; the
 * only way in from the host is the forward of the guest's gateway port to 127.0.0.1.
 */
import { CONTROL_PORT_NAME, ENV_FW_CFG_NAME, GUEST_ADDRESS, SHARES } from './vm-init.js';

export type Accelerator = 'kvm' | 'tcg';

export interface QemuGuestSpec {
  name: string;
  accel: Accelerator;
  kernel: string;
  initrd: string;
  memoryMib: number;
  vcpus: number;
  /** The runner's Unix socket QEMU connects the control port to. */
  controlSocket: string;
  /** The 0600 file of guest variables, read by QEMU at start (fw_cfg). */
  envFile: string;
  /** Host folders for the 9p shares, by tag. */
  shares: Record<(typeof SHARES)[number]['tag'], string>;
  /** The host's 127.0.0.1 port forwarded to the guest's gateway (on the same port). */
  hostPort: number;
  /** The runner's Unix socket QEMU connects ttyS1 (the guest's stderr) to. */
  stderrSocket: string;
}

/** 9p paths are written into a -fsdev option list, where a comma would start the next option. */
function optionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

export function qemuArgs(spec: QemuGuestSpec): string[] {
  const args = [
    '-name',
    spec.name,
    '-machine',
    `q35,accel=${spec.accel}`,
    // TCG emulates every feature QEMU knows; KVM passes the host's CPU through.
    '-cpu',
    spec.accel === 'kvm' ? 'host' : 'max',
    '-m',
    String(spec.memoryMib),
    '-smp',
    String(spec.vcpus),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    spec.kernel,
    '-initrd',
    spec.initrd,
    '-append',
    'console=ttyS0 quiet panic=-1',
    '-chardev',
    'stdio,id=out,signal=off',
    '-serial',
    'chardev:out',
    '-chardev',
    `socket,id=err,path=${optionValue(spec.stderrSocket)}`,
    '-serial',
    'chardev:err',
    '-device',
    'virtio-serial-pci,id=vs',
    '-chardev',
    `socket,id=ctl,path=${optionValue(spec.controlSocket)}`,
    '-device',
    `virtserialport,bus=vs.0,chardev=ctl,name=${CONTROL_PORT_NAME}`,
    '-fw_cfg',
    `name=${ENV_FW_CFG_NAME},file=${optionValue(spec.envFile)}`,
    '-netdev',
    `user,id=net0,hostfwd=tcp:127.0.0.1:${spec.hostPort}-${GUEST_ADDRESS}:${spec.hostPort}`,
    // romfile= : no iPXE boot ROM, which would only slow the boot down.
    '-device',
    'virtio-net-pci,netdev=net0,romfile=',
  ];
  // mapped-xattr: the guest's owners and modes live in xattrs, never applied to the host's
  // files, so a guest (root in its VM) cannot leave a setuid-root program in a host folder.
  for (const { tag, readOnly } of SHARES) {
    args.push(
      '-fsdev',
      `local,id=fs_${tag},path=${optionValue(spec.shares[tag])},security_model=mapped-xattr${readOnly ? ',readonly=on' : ''}`,
      '-device',
      `virtio-9p-pci,fsdev=fs_${tag},mount_tag=${tag}`,
    );
  }
  return args;
}
