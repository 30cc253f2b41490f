/**
 * The service manager `oxydra service` talks to: whether systemd runs this machine (and, for a
 * user unit, whether the person has a user manager), where units go, and `systemctl` itself.
 * Everything a person can fix is a UsageError with the fix; a failing systemctl says its own
 * last line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@oxydra/types';
import type { ServiceScope } from './service-unit.js';

const NO_MANAGER_FIX =
  'print the unit with `oxydra service install --dry-run` and run `oxydra gateway` under your own supervisor (or in a terminal)';

function initName(): string {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Throws the one-line reason when `systemctl` cannot manage units of this scope here. */
export function requireSystemd(scope: ServiceScope, env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform === 'darwin')
    throw new UsageError('on macOS, launchd runs services, not systemd', {
      hint: 'print the job with `oxydra service install --dry-run` into ~/Library/LaunchAgents/ and load it with `launchctl bootstrap gui/$(id -u) <that file>`',
    });
  if (process.platform !== 'linux')
    throw new UsageError(`oxydra service manages systemd units, which ${process.platform} does not have`, {
      hint: NO_MANAGER_FIX,
    });
  // What sd_booted() checks: systemd creates this folder when it is PID 1.
  if (!existsSync('/run/systemd/system'))
    throw new UsageError(
      `systemd is not running this machine (PID 1 is ${initName()}), so there is no service manager to install the gateway into`,
      {
        hint: NO_MANAGER_FIX,
      },
    );
  if (scope === 'user') {
    const runtime = env.XDG_RUNTIME_DIR;
    if (!runtime || !existsSync(join(runtime, 'systemd', 'private')))
      throw new UsageError(
        `no systemd user manager is running for you${runtime ? ` (no ${join(runtime, 'systemd', 'private')})` : ' (XDG_RUNTIME_DIR is not set)'}`,
        {
          hint: 'log in through a systemd session (ssh or a desktop; `sudo -u` and `su` give none), or install a system unit as root with --system',
        },
      );
  }
}

/** Where a unit of this scope goes. */
export function unitDirectory(scope: ServiceScope, env: NodeJS.ProcessEnv = process.env): string {
  if (scope === 'system') return '/etc/systemd/system';
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'systemd', 'user');
}

export interface SystemctlResult {
  ok: boolean;
  stdout: string;
  /** systemctl's last line on stderr, for an error message. */
  problem: string;
}

export function systemctl(scope: ServiceScope, args: string[]): SystemctlResult {
  const result = spawnSync('systemctl', [...(scope === 'user' ? ['--user'] : []), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const problem = result.error
    ? result.error.message
    : ((result.stderr ?? '').trim().split('\n').filter(Boolean).at(-1) ?? `exit ${result.status}`);
  return { ok: result.status === 0, stdout: (result.stdout ?? '').trim(), problem };
}

/** Runs systemctl and throws its own words when it fails. */
export function systemctlOrThrow(scope: ServiceScope, args: string[]): string {
  const result = systemctl(scope, args);
  if (!result.ok)
    throw new UsageError(
      `systemctl ${scope === 'user' ? '--user ' : ''}${args.join(' ')} failed: ${result.problem}`,
      {
        hint: `see \`${scope === 'user' ? 'journalctl --user' : 'journalctl'} -u ${args.at(-1)}\``,
      },
    );
  return result.stdout;
}

/** The user's name and home, as the system's user database has them (NSS, so LDAP users too). */
export function lookupUser(uid: number): { name: string; home: string } | undefined {
  const result = spawnSync('getent', ['passwd', String(uid)], { encoding: 'utf8', timeout: 10_000 });
  const fields = result.status === 0 ? result.stdout.trim().split(':') : [];
  return fields.length >= 7 ? { name: fields[0]!, home: fields[5]! } : undefined;
}
