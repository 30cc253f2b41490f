/**
 * Who a sandboxed command is on the host. Inside bubblewrap, uid 0 maps to the host's uid 0: with
 * every capability dropped, plain file permissions still treat it as the owner of every
 * root-owned file (/etc/shadow, host keys) and of the global sysctls under /proc/sys. So when
 * Oxydra runs as root, bubblewrap itself is started as an ordinary uid (setpriv, after joining the
 * pids cgroup as root), and the user namespace it creates maps that uid, never 0.
 *
 * Which uid: the workspace's owner when that is an ordinary user (`sudo oxydra` in alice's project
 * runs commands as alice, and what they create is hers; in her group, never root's group 0), else 65534 ("nobody"), which cannot
 * write a root-owned workspace: said at start-up with the ways out.
 */
import { statSync } from 'node:fs';
import path from 'node:path';

export const SETPRIV = '/usr/bin/setpriv';
export const NOBODY = { uid: 65534, gid: 65534 } as const;

export interface SandboxIdentity {
  uid: number;
  gid: number;
}

/** What `[tools.sandbox] run_as` resolves to; undefined: commands run as Oxydra's own user. */
export function sandboxIdentity(
  workspace: string,
  runAs: string,
  euid: number | undefined = process.geteuid?.(),
): SandboxIdentity | undefined {
  if (euid !== 0 || runAs === 'root') return undefined;
  if (runAs !== 'auto') {
    const [uid, gid] = runAs.split(':').map(Number) as [number, number | undefined];
    return { uid, gid: gid ?? uid };
  }
  const owner = statSync(workspace);
  if (owner.uid === 0) return { ...NOBODY };
  // Never the root group: `chown 1000 /app` in a container keeps root's group 0, and commands in
  // it would read every root-group file (/etc/sudoers). The owner bits are what let them write.
  return { uid: owner.uid, gid: owner.gid === 0 ? NOBODY.gid : owner.gid };
}

/** The argv prefix that starts the rest as `identity`, with no supplementary groups left. */
export function setprivPrefix(identity: SandboxIdentity | undefined): string[] {
  if (identity === undefined) return [];
  return [SETPRIV, `--reuid=${identity.uid}`, `--regid=${identity.gid}`, '--clear-groups', '--'];
}

type Access = 'search' | 'write';

function permits(identity: SandboxIdentity, dir: string, access: Access): boolean {
  const stat = statSync(dir);
  const bit = access === 'search' ? 1 : 2;
  if (stat.uid === identity.uid) return ((stat.mode >> 6) & bit) !== 0;
  if (stat.gid === identity.gid) return ((stat.mode >> 3) & bit) !== 0;
  return (stat.mode & bit) !== 0;
}

/**
 * Why `identity` cannot use the workspace, or undefined when it can: bubblewrap, running as that
 * uid, must reach the workspace to bind it (every ancestor searchable), and commands must be able
 * to write in it. Checked from the mode bits (no ACLs), which is what matters for ordinary setups.
 */
export function workspaceAccessProblem(
  identity: SandboxIdentity,
  workspace: string,
): { reach: boolean; problem: string; closed?: string } | undefined {
  const resolved = path.resolve(workspace);
  const ancestors: string[] = [];
  for (let dir = path.dirname(resolved); ; dir = path.dirname(dir)) {
    ancestors.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  const who = `uid ${identity.uid}`;
  for (const dir of [...ancestors, resolved]) {
    if (!permits(identity, dir, 'search')) {
      return {
        reach: false,
        problem: `${who} cannot reach the workspace (${dir} is closed to it)`,
        closed: dir,
      };
    }
  }
  if (!permits(identity, resolved, 'write')) {
    return {
      reach: true,
      problem: `${who} cannot write the workspace (owned by uid ${statSync(resolved).uid})`,
    };
  }
  return undefined;
}

/**
 * The way out when the sandbox's uid cannot reach the workspace. A closed folder above it (`/root`,
 * mode 700, as for a root user's project in a container) is not fixed by giving the workspace
 * away, and opening `/root` to everyone is no fix: the project moves out. A closed workspace
 * itself (root-owned, 700) is given to an ordinary user, whom `run_as = "auto"` then runs
 * commands as.
 */
export function workspaceAccessFix(closed: string | undefined, workspace: string): string {
  const alternatives =
    'or run Oxydra as an ordinary user, or set [tools.sandbox] run_as to a uid that can reach it';
  if (closed !== undefined && closed !== path.resolve(workspace))
    return `move the project out of ${closed} into a folder an ordinary user owns (commands then run as that user), ${alternatives}`;
  return `chown the workspace to an ordinary user (commands then run as that user), ${alternatives}`;
}
