/**
 * A seccomp filter for sandboxed commands (bwrap --seccomp FD), as a classic BPF program built
 * here: no libseccomp, nothing to compile. The namespaces and the dropped capabilities already
 * stop mounts, module loading and signals outside; this filter adds what they do not cover —
 * the kernel interfaces behind most local privilege escalations, which ordinary commands never
 * use: keyrings (not namespaced), bpf, perf events, userfaultfd, io_uring, new namespaces
 * (unshare, setns, clone with CLONE_NEW* flags; clone3 answers ENOSYS so libc falls back to
 * clone), the new mount API, the TIOCSTI/TIOCLINUX terminal ioctls and vsock sockets (not
 * network-namespaced). Blocked calls fail with
 * EPERM; a call made through another ABI (i386 or x32 on x86_64) kills the process, since its
 * numbers are not the ones checked. Docker's default profile blocks the same families.
 */

import { type SeccompArch, seccompSupported } from './seccomp-arches.js';

/** The sock_filter opcodes used. */
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

/** Offsets into struct seccomp_data: nr, arch, then args[6] as u64 (low half first: little-endian). */
const NR = 0;
const ARCH = 4;
const argLow = (index: number) => 16 + 8 * index;

const CLONE_NEW_FLAGS =
  0x00020000 | // CLONE_NEWNS
  0x02000000 | // CLONE_NEWCGROUP
  0x04000000 | // CLONE_NEWUTS
  0x08000000 | // CLONE_NEWIPC
  0x10000000 | // CLONE_NEWUSER
  0x20000000 | // CLONE_NEWPID
  0x40000000 | // CLONE_NEWNET
  0x00000080; // CLONE_NEWTIME
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const AF_VSOCK = 40;

const DENIED = [
  'add_key',
  'request_key',
  'keyctl',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'unshare',
  'setns',
  'mount',
  'umount2',
  'pivot_root',
  'open_tree',
  'move_mount',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
] as const;

type Syscall = (typeof DENIED)[number] | 'clone' | 'clone3' | 'ioctl' | 'socket';

interface ArchTable {
  auditArch: number;
  /** x86_64: numbers at or above this belong to the x32 ABI. */
  x32Bit?: number;
  numbers: Record<Syscall, number>;
}

// Numbers from the kernel's syscall tables: arch/x86/entry/syscalls/syscall_64.tbl and
// include/uapi/asm-generic/unistd.h (arm64). The newer calls (>= 424) are shared by both.
const NEW_CALLS = {
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  mount_setattr: 442,
};

const TABLES: Record<SeccompArch, ArchTable> = {
  x64: {
    auditArch: 0xc000003e,
    x32Bit: 0x40000000,
    numbers: {
      ...NEW_CALLS,
      ioctl: 16,
      socket: 41,
      clone: 56,
      pivot_root: 155,
      mount: 165,
      umount2: 166,
      init_module: 175,
      delete_module: 176,
      kexec_load: 246,
      add_key: 248,
      request_key: 249,
      keyctl: 250,
      unshare: 272,
      perf_event_open: 298,
      setns: 308,
      finit_module: 313,
      kexec_file_load: 320,
      bpf: 321,
      userfaultfd: 323,
    },
  },
  arm64: {
    auditArch: 0xc00000b7,
    numbers: {
      ...NEW_CALLS,
      ioctl: 29,
      umount2: 39,
      mount: 40,
      pivot_root: 41,
      unshare: 97,
      kexec_load: 104,
      init_module: 105,
      delete_module: 106,
      socket: 198,
      add_key: 217,
      request_key: 218,
      keyctl: 219,
      clone: 220,
      perf_event_open: 241,
      setns: 268,
      finit_module: 273,
      bpf: 280,
      userfaultfd: 282,
      kexec_file_load: 294,
    },
  },
};

type Instruction = [code: number, jt: number, jf: number, k: number];

/** The names of the calls the filter refuses (for docs and doctor). */
export const SECCOMP_DENIED_CALLS: readonly string[] = [
  ...DENIED,
  'clone (new namespaces)',
  'clone3',
  'ioctl TIOCSTI/TIOCLINUX',
  'socket AF_VSOCK',
];

/** The filter for `arch` as bytes of struct sock_filter, or undefined for an architecture we have no table for. */
export function seccompProgram(arch: NodeJS.Architecture = process.arch): Buffer | undefined {
  if (!seccompSupported(arch)) return undefined;
  const table = TABLES[arch];
  const n = table.numbers;
  const errno = (code: number): Instruction => [RET_K, 0, 0, RET_ERRNO | code];
  const program: Instruction[] = [
    [LD_W_ABS, 0, 0, ARCH],
    [JEQ_K, 1, 0, table.auditArch],
    [RET_K, 0, 0, RET_KILL_PROCESS],
    [LD_W_ABS, 0, 0, NR],
  ];
  if (table.x32Bit !== undefined) program.push([JGE_K, 0, 1, table.x32Bit], [RET_K, 0, 0, RET_KILL_PROCESS]);
  // Each denied call: "if nr == X, fall through to the errno return, else skip it".
  for (const name of DENIED) program.push([JEQ_K, 0, 1, n[name]], errno(EPERM));
  program.push([JEQ_K, 0, 1, n.clone3], errno(ENOSYS));
  // clone: refused only when it asks for a new namespace (flags are its first argument).
  // Jump offsets count from the next instruction: jf = 4 skips this block's other four.
  program.push(
    [JEQ_K, 0, 4, n.clone],
    [LD_W_ABS, 0, 0, argLow(0)],
    [JSET_K, 0, 1, CLONE_NEW_FLAGS],
    errno(EPERM),
    [RET_K, 0, 0, RET_ALLOW],
  );
  // socket: AF_VSOCK refused. vsock is not network-namespaced: from an empty network namespace
  // a command could still open and listen on sockets reaching the hypervisor (CID 2) or the host.
  program.push([JEQ_K, 0, 4, n.socket], [LD_W_ABS, 0, 0, argLow(0)], [JEQ_K, 0, 1, AF_VSOCK], errno(EPERM), [
    RET_K,
    0,
    0,
    RET_ALLOW,
  ]);
  // ioctl: refused only for the two terminal-injection requests (its second argument).
  program.push(
    [JEQ_K, 0, 5, n.ioctl],
    [LD_W_ABS, 0, 0, argLow(1)],
    [JEQ_K, 2, 0, TIOCSTI],
    [JEQ_K, 1, 0, TIOCLINUX],
    [RET_K, 0, 0, RET_ALLOW],
    errno(EPERM),
  );
  program.push([RET_K, 0, 0, RET_ALLOW]);
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    bytes.writeUInt16LE(code, i * 8);
    bytes.writeUInt8(jt, i * 8 + 2);
    bytes.writeUInt8(jf, i * 8 + 3);
    bytes.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return bytes;
}
