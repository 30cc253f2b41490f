/**
 * The micro-VM tier without booting anything: the QEMU argv (every device, the read-only vault,
 * no secret in it), the guest's variables as the shell really reads them, the init script's
 * steps, and the detection (QEMU, the image, KVM or TCG). The boot itself is in
 * packages/cli/test/runner-microvm-e2e.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectMicroVm } from '@oxydra/runner';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { kvmUsable } from '../src/tiers/microvm/detect.js';
import { qemuArgs } from '../src/tiers/microvm/qemu-args.js';
import { shellEnvFile, vmInitScript } from '../src/tiers/microvm/vm-init.js';
import { useFakeBin, valuesOf } from './helpers.js';

const spec = {
  name: 'oxydra-micro_vm-alice',
  accel: 'tcg' as const,
  kernel: '/cache/vmlinuz',
  initrd: '/cache/initrd.img',
  memoryMib: 512,
  vcpus: 2,
  controlSocket: '/srv/ws/alice/ipc/vm-control.sock',
  envFile: '/srv/ws/alice/ipc/vm-env',
  shares: {
    shared: '/srv/ws/alice/shared',
    tmp: '/srv/ws/alice/tmp',
    vault: '/srv/a,b/vault',
    home: '/srv/ws/alice/vm-home',
  },
  hostPort: 41000,
  stderrSocket: '/srv/ws/alice/ipc/vm-stderr.sock',
};

describe('qemuArgs', () => {
  const args = qemuArgs(spec);

  it('boots the kernel and initramfs with no default devices, display or reboot', () => {
    expect(valuesOf(args, '-machine')).toEqual(['q35,accel=tcg']);
    expect(valuesOf(args, '-cpu')).toEqual(['max']);
    expect(valuesOf(args, '-m')).toEqual(['512']);
    expect(valuesOf(args, '-smp')).toEqual(['2']);
    expect(args).toEqual(expect.arrayContaining(['-nodefaults', '-no-user-config', '-no-reboot']));
    expect(valuesOf(args, '-kernel')).toEqual(['/cache/vmlinuz']);
    expect(valuesOf(args, '-initrd')).toEqual(['/cache/initrd.img']);
    expect(qemuArgs({ ...spec, accel: 'kvm' })).toEqual(expect.arrayContaining(['q35,accel=kvm', 'host']));
  });

  it('connects the control port to the runner socket, and shares the three folders (vault read-only)', () => {
    expect(valuesOf(args, '-chardev')).toContain('socket,id=ctl,path=/srv/ws/alice/ipc/vm-control.sock');
    // The console is QEMU's stdout and ttyS1 the runner's socket: both read into its capped logs.
    expect(valuesOf(args, '-chardev')).toEqual(
      expect.arrayContaining([
        'stdio,id=out,signal=off',
        'socket,id=err,path=/srv/ws/alice/ipc/vm-stderr.sock',
      ]),
    );
    expect(valuesOf(args, '-serial')).toEqual(['chardev:out', 'chardev:err']);
    expect(valuesOf(args, '-device')).toContain(
      'virtserialport,bus=vs.0,chardev=ctl,name=org.oxydra.control',
    );
    expect(valuesOf(args, '-fsdev')).toEqual([
      'local,id=fs_shared,path=/srv/ws/alice/shared,security_model=mapped-xattr',
      'local,id=fs_tmp,path=/srv/ws/alice/tmp,security_model=mapped-xattr',
      // A comma in a path would start the next option: QEMU's escape doubles it.
      'local,id=fs_vault,path=/srv/a,,b/vault,security_model=mapped-xattr,readonly=on',
      'local,id=fs_home,path=/srv/ws/alice/vm-home,security_model=mapped-xattr',
    ]);
  });

  it('forwards only the gateway, to the host loopback, and passes variables by file', () => {
    expect(valuesOf(args, '-netdev')).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:41000-10.0.2.15:41000']);
    expect(valuesOf(args, '-fw_cfg')).toEqual(['name=opt/oxydra/env,file=/srv/ws/alice/ipc/vm-env']);
    expect(valuesOf(args, '-append')).toEqual(['console=ttyS0 quiet panic=-1']);
  });
});

describe('the guest variables file', () => {
  it('is read back by a real shell exactly, quotes and all, and refuses a bad name', () => {
    const vars = { OPENAI_API_KEY: "sk-it's $HOME `id` \\n", OXYDRA_GATEWAY_TOKEN: 'tok"en;rm -rf /' };
    const scratch = tempWorkspace({ prefix: 'oxydra-vmenv-' });
    const dir = scratch.dir;
    try {
      writeFileSync(join(dir, 'env'), shellEnvFile(vars));
      const out = execFileSync(
        'sh',
        [
          '-c',
          'set -a; . "$1"; printf "%s\\0%s" "$OPENAI_API_KEY" "$OXYDRA_GATEWAY_TOKEN"',
          'sh',
          join(dir, 'env'),
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      expect(out.split('\0')).toEqual([vars.OPENAI_API_KEY, vars.OXYDRA_GATEWAY_TOKEN]);
    } finally {
      scratch.cleanup();
    }
    expect(() => shellEnvFile({ 'A;B': 'x' })).toThrow('bad variable name');
  });
});

describe('vmInitScript', () => {
  it('loads the modules in order, mounts the shares and runs the guest on the control port', () => {
    const script = vmInitScript(['virtio', '9p']);
    expect(script.startsWith('#!/bin/busybox sh\n')).toBe(true);
    expect(script).toContain('for m in virtio 9p; do insmod');
    expect(script).toMatch(/mount -t 9p -o [^ ]*,ro vault \/workspace\/vault/);
    expect(script).toMatch(/mount -t 9p -o [^ ]* home \/root /);
    expect(script).toContain(
      'guest --bootstrap-stdin --exit-on-stdin-close --gateway-bind 10.0.2.15:"$OXYDRA_VM_GATEWAY_PORT"',
    );
    expect(script).toContain('poweroff -f');
  });
});

describe('detectMicroVm', () => {
  const bin = useFakeBin();

  it('wants QEMU, then the image; with both, KVM where usable, else TCG', () => {
    const env = { PATH: bin.dir, OXYDRA_MICROVM_DIR: join(bin.dir, 'image') };
    expect(detectMicroVm(env)).toMatchObject({ ok: false, problem: 'qemu-system-x86_64 is not on PATH' });
    bin.program('qemu-system-x86_64', 'exit 0');
    expect(detectMicroVm(env)).toMatchObject({ ok: false, fix: 'build it with `oxydra runner vm build`' });
    mkdirSync(join(bin.dir, 'image'));
    for (const file of ['vmlinuz', 'initrd.img']) writeFileSync(join(bin.dir, 'image', file), '');
    expect(detectMicroVm(env, () => false)).toMatchObject({
      ok: true,
      backend: { kind: 'micro_vm', accel: 'tcg' },
    });
    expect(detectMicroVm(env, () => true)).toMatchObject({
      ok: true,
      backend: {
        accel: 'kvm',
        qemu: join(bin.dir, 'qemu-system-x86_64'),
        image: { kernel: join(bin.dir, 'image/vmlinuz') },
      },
    });
  });

  it("takes KVM only with /dev/kvm and a CPU with vmx or svm, never a PVM host's /dev/kvm", () => {
    const device = join(bin.dir, 'kvm');
    const cpuinfo = join(bin.dir, 'cpuinfo');
    writeFileSync(device, '');
    writeFileSync(cpuinfo, 'processor\t: 0\nflags\t\t: fpu vme pae hypervisor\n');
    expect(kvmUsable(cpuinfo, device)).toBe(false);
    writeFileSync(cpuinfo, 'processor\t: 0\nflags\t\t: fpu vme vmx pae hypervisor\n');
    expect(kvmUsable(cpuinfo, device)).toBe(true);
    expect(kvmUsable(cpuinfo, join(bin.dir, 'no-kvm'))).toBe(false);
  });
});
