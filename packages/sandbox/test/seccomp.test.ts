import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seccompProgram } from '../src/index.js';
import { type Fixture, fixture, HAS_BWRAP, policy, runIn } from './helpers.js';

/** Decodes struct sock_filter entries. */
function decode(bytes: Buffer) {
  return Array.from({ length: bytes.length / 8 }, (_, i) => ({
    code: bytes.readUInt16LE(i * 8),
    jt: bytes.readUInt8(i * 8 + 2),
    jf: bytes.readUInt8(i * 8 + 3),
    k: bytes.readUInt32LE(i * 8 + 4),
  }));
}

describe('the seccomp program', () => {
  it.each(['x64', 'arm64'] as const)(
    '%s: checks the architecture first, ends by allowing, keeps every jump inside',
    (arch) => {
      const program = decode(seccompProgram(arch)!);
      expect(program[0]).toEqual({ code: 0x20, jt: 0, jf: 0, k: 4 }); // load seccomp_data.arch
      expect(program[1]!.k).toBe(arch === 'x64' ? 0xc000003e : 0xc00000b7);
      expect(program[2]).toEqual({ code: 0x06, jt: 0, jf: 0, k: 0x80000000 }); // other ABI: kill
      expect(program.at(-1)).toEqual({ code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 });
      program.forEach((insn, i) => {
        if ((insn.code & 0x07) === 0x05) {
          expect(i + 1 + insn.jt).toBeLessThan(program.length);
          expect(i + 1 + insn.jf).toBeLessThan(program.length);
        }
      });
      expect(program.length).toBeLessThan(4096); // BPF_MAXINSNS
    },
  );

  it('refuses keyctl with EPERM and clone3 with ENOSYS (x86_64 numbers)', () => {
    const program = decode(seccompProgram('x64')!);
    const answerFor = (nr: number) => {
      const i = program.findIndex(
        (insn) => insn.code === 0x15 && insn.k === nr && insn.jt === 0 && insn.jf === 1,
      );
      return program[i + 1]?.k;
    };
    expect(answerFor(250)).toBe(0x00050000 | 1); // keyctl
    expect(answerFor(272)).toBe(0x00050000 | 1); // unshare
    expect(answerFor(435)).toBe(0x00050000 | 38); // clone3
  });

  it('has no program for an architecture without a syscall table', () => {
    expect(seccompProgram('ia32')).toBeUndefined();
  });
});

describe.skipIf(!HAS_BWRAP || process.arch !== 'x64')('the seccomp filter in a sandbox', () => {
  let f: Fixture;
  beforeEach(() => {
    f = fixture();
  });
  afterEach(() => f.cleanup());

  // vsock is not network-namespaced: before, a command with network = "off" opened and listened
  // on AF_VSOCK sockets (the hypervisor's and the host's side of a VM).
  it('refuses vsock sockets, and still gives Unix ones', async () => {
    const open = (family: number) =>
      `perl -e 'socket(my $s, ${family}, 1, 0) ? print "family ${family}: open\\n" : print "family ${family}: $!\\n"'`;
    const r = await runIn(f, policy(), `${open(40)}; ${open(1)}`);
    expect(r.output).toContain('family 40: Operation not permitted');
    expect(r.output).toContain('family 1: open');
  });
});
