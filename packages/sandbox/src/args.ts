/**
 * The bubblewrap argument list for one command. Deny by default: the sandbox starts from an empty
 * root and sees only what is bound here; order matters, because later mounts cover earlier ones
 * (the masks of denied paths come after the binds they hide inside).
 */
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { type SandboxPolicy, WORKSPACE_STATE_FOLDER } from '@oxydra/types';
import { bwrapHomeGuardArgs, homeSecretPaths } from './home-guard.js';

/** System trees the shell and common tools need, read-only; /etc for passwd, resolv.conf, ssl. */
export const SYSTEM_ROOTS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/etc'];

/** Secrets that stay hidden even when a readable root contains them. */
export function defaultDeniedPaths(workspace: string, home = homedir()): string[] {
  return [...homeSecretPaths(home), path.join(workspace, WORKSPACE_STATE_FOLDER)];
}

/** Variables the runner sets itself; the allowlist cannot override them. */
const OWN_VARIABLES = new Set(['HOME', 'TMPDIR']);

export interface BwrapArgsOptions {
  /** Bound read-write at its own absolute path, so paths in commands and messages match the host's. */
  workspace: string;
  /** The argv run inside the sandbox (e.g. ['/bin/sh', '-c', command]). */
  command: string[];
  /** Default: the workspace. */
  cwd?: string;
  /** Offered variables; only those in policy.envAllowlist reach the command. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Whose ~/.ssh etc. are masked. Default: os.homedir(). */
  home?: string;
  /** A descriptor the bwrap process has open on the seccomp program (see seccomp.ts). */
  seccompFd?: number;
  /** network = allowlist: the egress proxy's directory and the variables pointing at it. */
  egress?: { dir: string; mount: string; env: Record<string, string>; extraReadable: string[] };
}

/** True when the policy gives the sandbox the host's network as it is. */
export function sharesHostNetwork(policy: SandboxPolicy): boolean {
  return policy.network !== 'off' && policy.network.allowHosts.includes('*');
}

export const SANDBOX_HOME = '/tmp/home';

/**
 * The kernel's global knobs under /proc, bound read-only whatever bubblewrap decides (it covers
 * them only where its own access(W_OK) probe succeeds, which a 0555 /proc/sys defeats): sysctls
 * (kernel.core_pattern runs a program as host root), SysRq, IRQ affinity, PCI config space. The
 * bind comes from the host's /proc, so /proc/sys/net shows the host's values, read-only.
 */
export const PROC_READ_ONLY = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus'];

const DEFAULT_TMP_SIZE_MIB = 512;
const PAGE = 4096;
/** Docker's default /dev/shm: enough for POSIX semaphores and the shared buffers of most tools. */
const MAX_SHM_BYTES = 64 * 1024 * 1024;

/**
 * tmp_size_mib is one command's whole budget of memory-backed files: /tmp (with HOME) and
 * /dev/shm are two tmpfs, each sized apart, so it is split between them (a quarter, at most 64
 * MiB, to /dev/shm). Before, each got all of it, and a command held twice tmp_size_mib of RAM.
 * One tmpfs for both cannot be had from bubblewrap: its binds take host paths only, and its
 * `--dev` makes /dev/shm a folder, which no later option turns into a link. Sizes are whole
 * pages, as the kernel rounds a tmpfs's size up to one.
 */
function tmpBudget(policy: SandboxPolicy): { tmp: number; shm: number } {
  const total = Math.floor(((policy.tmpSizeMiB ?? DEFAULT_TMP_SIZE_MIB) * 1024 * 1024) / PAGE) * PAGE;
  // Never 0, which a tmpfs takes as "no limit".
  const shm = Math.max(PAGE, Math.min(MAX_SHM_BYTES, Math.floor(total / 4 / PAGE) * PAGE));
  return { tmp: Math.max(PAGE, total - shm), shm };
}

function bindExisting(flag: '--ro-bind' | '--bind', dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stat = lstatSync(dir);
  // /bin -> usr/bin on merged-/usr systems: recreate the link rather than bind a second copy.
  if (stat.isSymbolicLink() && SYSTEM_ROOTS.includes(dir)) return ['--symlink', readlinkSync(dir), dir];
  return [flag, dir, dir];
}

function mask(denied: string): string[] {
  if (!existsSync(denied)) return [];
  // A directory gets an empty tmpfs over it; a file is replaced by /dev/null.
  return statSync(denied).isDirectory() ? ['--tmpfs', denied] : ['--ro-bind', '/dev/null', denied];
}

/** The offered variables a command may see: the policy's allowlist, minus those the sandbox sets itself. */
export function allowedEnv(
  policy: SandboxPolicy,
  offered: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of policy.envAllowlist) {
    const value = offered[name];
    if (value !== undefined && !OWN_VARIABLES.has(name)) env[name] = value;
  }
  return env;
}

/** The sandbox itself: namespaces, mounts and masks. The same for every command of a runner. */
export function bwrapSandboxArgs(
  policy: SandboxPolicy,
  options: Pick<BwrapArgsOptions, 'workspace' | 'home' | 'egress'>,
): string[] {
  const workspace = path.resolve(options.workspace);
  const args = [
    // user, ipc, pid, net, uts, cgroup namespaces: the command sees no host process or socket.
    '--unshare-all',
    // network = allowlist keeps the empty namespace too: the egress proxy is the only way out.
    ...(sharesHostNetwork(policy) ? ['--share-net'] : []),
    // bwrap keeps root's capabilities when run by root; the command gets none.
    '--cap-drop',
    'ALL',
    // If our process dies without stopping the sandbox, the sandbox dies too.
    '--die-with-parent',
    // No --new-session: the sandbox's pid 1 must stay in bwrap's process group, where the
    // runner's SIGKILL reaches it (--die-with-parent alone proved unreliable when bwrap is killed).
    // TIOCSTI injection needs a controlling terminal, and there is none: the runner starts bwrap
    // in a new session of its own with stdin from /dev/null (tested in sandbox-escape tests).
  ];
  for (const root of SYSTEM_ROOTS) args.push(...bindExisting('--ro-bind', root));
  args.push('--proc', '/proc', ...PROC_READ_ONLY.flatMap((dir) => ['--ro-bind-try', dir, dir]));
  // /tmp (and HOME in it) is a private tmpfs of bounded size: nothing is shared between commands,
  // nothing is left on the host, and a command cannot fill the host's disk through it.
  const budget = tmpBudget(policy);
  args.push('--dev', '/dev', '--size', String(budget.tmp), '--perms', '1777', '--tmpfs', '/tmp');
  args.push('--perms', '0700', '--dir', SANDBOX_HOME);
  const readable = [...policy.readableRoots, ...(options.egress?.extraReadable ?? [])];
  for (const root of readable) args.push(...bindExisting('--ro-bind', path.resolve(root)));
  if (options.egress) args.push('--ro-bind', options.egress.dir, options.egress.mount);
  for (const root of policy.writableRoots) args.push(...bindExisting('--bind', path.resolve(root)));
  args.push('--bind', workspace, workspace);
  args.push(...bwrapHomeGuardArgs(workspace, options.home ?? homedir()));
  const denied = new Set([
    ...defaultDeniedPaths(workspace, options.home),
    ...policy.deniedPaths.map((p) => path.resolve(p)),
  ]);
  for (const entry of denied) args.push(...mask(entry));
  // bwrap's own tmpfs mounts, the sandbox's root and its /dev, are writable by the command and
  // sized at half the host's RAM: a command filled them past /tmp's bound (12 GB on a 24 GB
  // host). /dev/shm gets a bounded tmpfs of its own (POSIX shared memory needs one), its size
  // taken from /tmp's budget (tmpBudget); then both are made read-only, last, once every mount
  // point in them exists. Separate mounts (the workspace, /tmp, /dev/shm, /dev/pts, the device
  // nodes) keep their own flags.
  args.push('--size', String(budget.shm), '--perms', '1777', '--tmpfs', '/dev/shm');
  args.push('--remount-ro', '/dev', '--remount-ro', '/');
  return args;
}

/** What one command gets: its directory, its environment, the seccomp filter. */
export function bwrapCommandArgs(
  policy: SandboxPolicy,
  options: Pick<BwrapArgsOptions, 'workspace' | 'cwd' | 'env' | 'egress' | 'seccompFd'>,
): string[] {
  const args = ['--chdir', path.resolve(options.cwd ?? options.workspace), '--clearenv'];
  for (const [name, value] of Object.entries(allowedEnv(policy, options.env ?? {})))
    args.push('--setenv', name, value);
  args.push('--setenv', 'HOME', SANDBOX_HOME, '--setenv', 'TMPDIR', '/tmp');
  for (const [name, value] of Object.entries(options.egress?.env ?? {})) args.push('--setenv', name, value);
  if (options.seccompFd !== undefined) args.push('--seccomp', String(options.seccompFd));
  return args;
}

export function bwrapArgs(policy: SandboxPolicy, options: BwrapArgsOptions): string[] {
  return [
    ...bwrapSandboxArgs(policy, options),
    ...bwrapCommandArgs(policy, options),
    '--',
    ...options.command,
  ];
}
