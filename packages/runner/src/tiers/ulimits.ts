/**
 * The open-file and process limits a container guest gets. Engines default to limits above the
 * caller's own (Podman: 1048576 open files), which a root without CAP_SYS_RESOURCE (a root in
 * a VM or an outer container, as on these machines) cannot raise to: every start then fails
 * with `setrlimit RLIMIT_NOFILE: Operation not permitted`. So the guest gets the runner's own
 * hard limits, capped: never more than the runner has, and never what a box should not need.
 */
import { readFileSync } from 'node:fs';

export interface GuestUlimits {
  nofile: number;
  nproc: number;
}

const CAPS: GuestUlimits = { nofile: 65_536, nproc: 32_768 };

/** Hard limits from a /proc/<pid>/limits text ("unlimited" is no limit). */
export function guestUlimits(limitsText: string): GuestUlimits {
  const hard = (label: string, cap: number): number => {
    const match = new RegExp(`^${label}\\s+\\S+\\s+(\\S+)`, 'm').exec(limitsText);
    const value = match?.[1] === undefined || match[1] === 'unlimited' ? cap : Number(match[1]);
    return Number.isFinite(value) && value > 0 ? Math.min(value, cap) : cap;
  };
  return { nofile: hard('Max open files', CAPS.nofile), nproc: hard('Max processes', CAPS.nproc) };
}

export function runnerUlimits(path = '/proc/self/limits'): GuestUlimits {
  try {
    return guestUlimits(readFileSync(path, 'utf8'));
  } catch {
    return CAPS;
  }
}
