/**
 * Which sandbox this machine can give, and if none, why and how to fix it. Probed once per
 * process, and a working bubblewrap is remembered across runs (the probe cache, below).
 */

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, release, version } from 'node:os';
import path from 'node:path';
import { readSmallFile } from '@oxydra/types/fs';
import { type SandboxIdentity, SETPRIV, setprivPrefix } from './identity.js';

/** Where the sandbox programs are: bubblewrap on Linux, sandbox-exec on macOS. */
export const BWRAP = '/usr/bin/bwrap';
export const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

export interface SandboxDetection {
  tier: 'bubblewrap' | 'sandbox_exec' | 'none';
  degradation?: string;
  fix?: string;
}

export interface DetectOptions {
  /**
   * Where a working bubblewrap is remembered between runs: default `probeCacheDir()`
   * (~/.cache/oxydra); false probes every time and remembers nothing.
   */
  cacheDir?: string | false;
  /**
   * Probe now whatever the caches say, and remember the answer (`oxydra doctor`, which a user runs
   * when something changed that the cache key may not show: an AppArmor profile, a kernel).
   */
  fresh?: boolean;
}

const cache = new Map<string, SandboxDetection>();

/**
 * `identity`: the ordinary uid commands run as when Oxydra runs as root (see identity.ts); the
 * probe runs bubblewrap exactly as commands will, since an unprivileged user namespace can be
 * refused where root's is not (Ubuntu 24.04+).
 */
export function detectSandbox(
  bwrapPath = BWRAP,
  identity?: SandboxIdentity,
  options: DetectOptions = {},
): SandboxDetection {
  const key = `${bwrapPath}\0${identity ? `${identity.uid}:${identity.gid}` : ''}`;
  const known = options.fresh ? undefined : cache.get(key);
  if (known !== undefined) return known;
  const detection = probeSandbox(bwrapPath, identity, options);
  cache.set(key, detection);
  return detection;
}

/** detectSandbox without the per-process memory: the on-disk answer, else a probe. */
export function probeSandbox(
  bwrapPath = BWRAP,
  identity?: SandboxIdentity,
  options: DetectOptions = {},
): SandboxDetection {
  const dir = options.cacheDir === undefined ? probeCacheDir() : options.cacheDir;
  // Only the Linux probe starts a process; the checks before it cost nothing worth keeping.
  const key = process.platform === 'linux' && dir !== false ? probeCacheKey(bwrapPath, identity) : undefined;
  if (!options.fresh && dir !== false && key !== undefined && cachedProbeWorks(dir, key)) {
    return { tier: 'bubblewrap' };
  }
  const detection = probe(bwrapPath, identity);
  if (dir !== false && key !== undefined && detection.tier === 'bubblewrap') rememberProbeWorks(dir, key);
  return detection;
}

function probe(bwrapPath: string, identity: SandboxIdentity | undefined): SandboxDetection {
  if (process.platform === 'darwin') {
    return existsSync(SANDBOX_EXEC)
      ? { tier: 'sandbox_exec' }
      : {
          tier: 'none',
          degradation: `${SANDBOX_EXEC} is missing`,
          fix: 'it ships with macOS; check the system install',
        };
  }
  if (process.platform !== 'linux') {
    return { tier: 'none', degradation: `no OS sandbox backend for ${process.platform}` };
  }
  if (!existsSync(bwrapPath)) {
    return {
      tier: 'none',
      degradation: 'bubblewrap is not installed',
      fix: 'sudo apt-get install bubblewrap',
    };
  }
  if (identity !== undefined && !existsSync(SETPRIV)) {
    return {
      tier: 'none',
      degradation: `${SETPRIV} is missing (needed to run commands as an ordinary user while Oxydra runs as root)`,
      fix: 'sudo apt-get install util-linux (or run Oxydra as an ordinary user)',
    };
  }
  // The same namespaces every command gets, as the same user: if this fails, every command would.
  const argv = [...setprivPrefix(identity), bwrapPath, '--unshare-all', '--ro-bind', '/', '/', 'true'];
  const run = spawnSync(argv[0] ?? bwrapPath, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (run.status === 0) return { tier: 'bubblewrap' };
  const reason = (run.error?.message ?? run.stderr).trim() || `exit status ${run.status}`;
  return {
    tier: 'none',
    degradation: `bubblewrap cannot create namespaces: ${reason}`,
    fix:
      'allow unprivileged user namespaces: sudo sysctl -w kernel.unprivileged_userns_clone=1 ' +
      '(Debian) or kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04+)' +
      (identity ? `; as root, commands run as uid ${identity.uid}, whose namespaces these are` : ''),
  };
}

/**
 * The bubblewrap probe's answer, kept on disk between runs: starting bwrap to see whether it can
 * create namespaces costs 10-13 ms, on every `oxydra run`. Only a working sandbox is remembered
 * (a failure is probed again each time, so fixing the machine takes effect at once), and only
 * for exactly the conditions it was probed under: the bwrap binary (path, device, inode, size,
 * mode, mtime, ctime), setpriv's when commands run as another uid, the kernel (release and
 * build), the user, the uid commands run as, and the sysctls that allow or refuse unprivileged
 * user namespaces. Any of them changing means probing again.
 *
 * The file is `<cache>/oxydra/sandbox-probe.json` ($XDG_CACHE_HOME, else ~/.cache), written
 * atomically (a private temporary file renamed over it) with mode 0600 in a 0700 folder. It is
 * believed only when it, and the folder holding it, belong to this user and nobody else may
 * write them; anything else is ignored (and replaced when the folder is ours).
 *
 * Trusting a stale answer cannot unsandbox anything: it only decides that commands go through
 * bubblewrap, and a bubblewrap that then fails to start fails the command (fail closed).
 */

const FILE = 'sandbox-probe.json';
const FORMAT = 1;

/** The sysctls that decide whether an unprivileged process may create user namespaces. */
const USERNS_SYSCTLS = [
  '/proc/sys/kernel/unprivileged_userns_clone',
  '/proc/sys/user/max_user_namespaces',
  '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
  '/proc/sys/kernel/apparmor_restrict_unprivileged_unconfined',
];

/** `<cache>/oxydra`: $XDG_CACHE_HOME when absolute, else ~/.cache. */
export function probeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const root = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || homedir(), '.cache');
  return path.join(root, 'oxydra');
}

export function probeCacheFile(dir: string): string {
  return path.join(dir, FILE);
}

function fileIdentity(file: string): string | undefined {
  try {
    const s = statSync(file, { bigint: true });
    return [s.dev, s.ino, s.size, s.mode, s.mtimeNs, s.ctimeNs].join(':');
  } catch {
    return undefined;
  }
}

function sysctl(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '-';
  }
}

/**
 * Everything the probe's answer depends on, as one string; undefined when the binary cannot be
 * stat'ed (then there is nothing to remember: the probe says why).
 */
export function probeCacheKey(bwrapPath: string, identity: SandboxIdentity | undefined): string | undefined {
  const bwrap = fileIdentity(bwrapPath);
  if (bwrap === undefined) return undefined;
  const parts = [
    `format=${FORMAT}`,
    `bwrap=${path.resolve(bwrapPath)}@${bwrap}`,
    `kernel=${release()} ${version()}`,
    `uid=${process.geteuid?.() ?? '-'}`,
    `as=${identity ? `${identity.uid}:${identity.gid} setpriv@${fileIdentity(SETPRIV) ?? '-'}` : '-'}`,
    ...USERNS_SYSCTLS.map((file) => `${path.basename(file)}=${sysctl(file)}`),
  ];
  return parts.join('\n');
}

/** Ours and writable by nobody else: the only files and folders whose word is taken. */
function trusted(stats: Stats): boolean {
  const uid = process.geteuid?.();
  return (uid === undefined || stats.uid === uid) && (stats.mode & 0o022) === 0;
}

function trustedDir(dir: string): boolean {
  try {
    const stats = lstatSync(dir);
    return stats.isDirectory() && trusted(stats);
  } catch {
    return false;
  }
}

/** True when the file in `dir` says bubblewrap worked under exactly `key`. */
function cachedProbeWorks(dir: string, key: string): boolean {
  if (!trustedDir(dir)) return false;
  const file = readSmallFile(probeCacheFile(dir), {
    maxBytes: 64 * 1024,
    accept: (stats) => (trusted(stats) ? undefined : 'not owned by this user, or writable by others'),
  });
  if (!file.ok) return false;
  try {
    const saved = JSON.parse(file.bytes.toString('utf8')) as { key?: unknown; tier?: unknown };
    return saved.key === key && saved.tier === 'bubblewrap';
  } catch {
    return false;
  }
}

/** Remembers that bubblewrap worked under `key`. Best effort: a cache that cannot be written is skipped. */
function rememberProbeWorks(dir: string, key: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trustedDir(dir)) return;
    const temporary = path.join(dir, `.${FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
    try {
      writeFileSync(temporary, `${JSON.stringify({ key, tier: 'bubblewrap' })}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
      renameSync(temporary, probeCacheFile(dir));
    } catch {
      rmSync(temporary, { force: true });
    }
  } catch {
    // No cache folder (read-only home, no HOME): every run probes.
  }
}

/** Forgets what was remembered (e.g. when the sandbox is found not to work after all). */
export function forgetProbe(dir: string): void {
  try {
    if (trustedDir(dir)) rmSync(probeCacheFile(dir), { force: true });
  } catch {
    // Nothing to forget.
  }
}
