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
import { randomBytes } from 'node:crypto';
import {
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
import { type SandboxIdentity, SETPRIV } from './identity.js';

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
export function cachedProbeWorks(dir: string, key: string): boolean {
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
export function rememberProbeWorks(dir: string, key: string): void {
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
