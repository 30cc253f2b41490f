/** Which sandbox this machine can give, and if none, why and how to fix it. Probed once. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BWRAP } from './runner.js';
import { SANDBOX_EXEC } from './seatbelt.js';

export interface SandboxDetection {
  tier: 'bubblewrap' | 'sandbox_exec' | 'none';
  degradation?: string;
  fix?: string;
}

const cache = new Map<string, SandboxDetection>();

export function detectSandbox(bwrapPath = BWRAP): SandboxDetection {
  const known = cache.get(bwrapPath);
  if (known !== undefined) return known;
  const detection = probe(bwrapPath);
  cache.set(bwrapPath, detection);
  return detection;
}

function probe(bwrapPath: string): SandboxDetection {
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
  // The same namespaces every command gets: if this fails, every sandboxed command would.
  const run = spawnSync(bwrapPath, ['--unshare-all', '--ro-bind', '/', '/', 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (run.status === 0) return { tier: 'bubblewrap' };
  const reason = (run.error?.message ?? run.stderr).trim() || `exit status ${run.status}`;
  return {
    tier: 'none',
    degradation: `bubblewrap cannot create namespaces: ${reason}`,
    fix:
      'allow unprivileged user namespaces: sudo sysctl -w kernel.unprivileged_userns_clone=1 ' +
      '(Debian) or kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04+)',
  };
}
