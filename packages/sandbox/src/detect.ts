/**
 * Which sandbox this machine can give, and if none, why and how to fix it. Probed once per
 * process, and a working bubblewrap is remembered across runs (see probe-cache.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type SandboxIdentity, SETPRIV, setprivPrefix } from './identity.js';
import { cachedProbeWorks, probeCacheDir, probeCacheKey, rememberProbeWorks } from './probe-cache.js';

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
