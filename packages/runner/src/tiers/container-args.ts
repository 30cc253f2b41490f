/**
 * The `docker run` / `podman run` arguments of a container-tier guest: a pure function, so
 * every hardening flag is unit-tested without an engine. The guest runs as an ordinary uid
 * (the operator's, or "nobody" when the runner is root; never root), on a read-only root with
 * no capabilities, no privilege escalation, the engine's default seccomp profile and the user's
 * resource limits, with no network; it sees only the user's own folders, its bootstrap envelope
 * read-only and the two sockets of container-network.ts. Its secrets come on stdin, not in env.
 */
import { CONTAINER_LABEL_PROJECT } from './container-holder.js';
import { type ContainerNetworkDirs, GUEST_EGRESS_DIR, GUEST_GATEWAY_DIR } from './container-network.js';
import type { GuestUlimits } from './ulimits.js';

/** Where things appear inside the guest. */
export const GUEST_WORKSPACE = '/workspace';
const GUEST_BOOTSTRAP_DIR = '/run/oxydra/bootstrap';
export const GUEST_BOOTSTRAP_FILE = `${GUEST_BOOTSTRAP_DIR}/runner_bootstrap.json`;
/** Labels the runner and `runner status` find their containers by. */
const CONTAINER_LABEL_USER = 'org.oxydra.user';

export interface ContainerGuestSpec {
  name: string;
  image: string;
  userId: string;
  /** The project folder the guest belongs to (container-holder.ts: the name is per user, not per project). */
  projectDir: string;
  uid: number;
  gid: number;
  resources: { max_vcpus?: number; max_memory_mib?: number; max_processes?: number };
  ulimits: GuestUlimits;
  /** The user's folders: shared and tmp read-write, vault read-only. */
  folders: { shared: string; tmp: string; vault: string };
  /** Host folder the guest writes its gateway endpoint to (/workspace/ipc inside). */
  guestIpc: string;
  /** Host folder holding runner_bootstrap.json. */
  bootstrapDir: string;
  /** Host folders of the egress proxy's and the gateway's sockets (container-network.ts). */
  network: ContainerNetworkDirs;
  /** Arguments after the image (the entrypoint is the image's `oxydra`). */
  guestArgs: readonly string[];
  /** The engine's own `run` options (engine-dialect.ts), e.g. rootless podman's --userns. */
  engineArgs?: readonly string[];
}

export function containerRunArgs(spec: ContainerGuestSpec): string[] {
  const args = [
    'run',
    '--rm',
    '--name',
    spec.name,
    '--label',
    `${CONTAINER_LABEL_USER}=${spec.userId}`,
    '--label',
    `${CONTAINER_LABEL_PROJECT}=${spec.projectDir}`,
    // The image is local (`oxydra runner image build`): never ask a registry for it.
    '--pull',
    'never',
    '--user',
    `${spec.uid}:${spec.gid}`,
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    // Nothing in the image changes at run time; scratch space is memory, wiped at every start.
    '--read-only',
    '--tmpfs',
    '/tmp:rw,nosuid,nodev,mode=1777',
    // A small init as pid 1: it reaps the shell commands' orphans and forwards SIGTERM.
    '--init',
    // No network but its own loopback: the model providers are reached through the runner's
    // egress proxy and the gateway through a forwarded socket (container-network.ts), both in
    // folders below. Nothing else leaves, whatever a command inside tries.
    '--network',
    'none',
    // stdin stays open: the runner writes the guest's secrets there, never into its environment
    // (readable by any process of the guest's uid in /proc/<pid>/environ) nor into a file.
    '--interactive',
    ...(spec.engineArgs ?? []),
  ];
  const { max_processes, max_memory_mib, max_vcpus } = spec.resources;
  if (max_processes !== undefined) args.push('--pids-limit', String(max_processes));
  // Swap equal to memory: the limit is the limit, not twice it.
  if (max_memory_mib !== undefined) {
    args.push('--memory', `${max_memory_mib}m`, '--memory-swap', `${max_memory_mib}m`);
  }
  if (max_vcpus !== undefined) args.push('--cpus', String(max_vcpus));
  const { nofile, nproc } = spec.ulimits;
  args.push('--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`);

  args.push('--volume', `${spec.folders.shared}:${GUEST_WORKSPACE}/shared`);
  args.push('--volume', `${spec.folders.tmp}:${GUEST_WORKSPACE}/tmp`);
  // The vault is read through vault_copyto only: the guest never needs to write it.
  args.push('--volume', `${spec.folders.vault}:${GUEST_WORKSPACE}/vault:ro`);
  // Only the guest's own corner of ipc/: never the runner's control socket or pid file.
  args.push('--volume', `${spec.guestIpc}:${GUEST_WORKSPACE}/ipc`);
  args.push('--volume', `${spec.bootstrapDir}:${GUEST_BOOTSTRAP_DIR}:ro`);
  args.push('--volume', `${spec.network.egress}:${GUEST_EGRESS_DIR}:ro`);
  args.push('--volume', `${spec.network.gateway}:${GUEST_GATEWAY_DIR}`);
  args.push('--env', 'HOME=/tmp');
  args.push('--env', `OXYDRA_BOOTSTRAP_FILE=${GUEST_BOOTSTRAP_FILE}`);
  args.push('--workdir', `${GUEST_WORKSPACE}/shared`, spec.image, ...spec.guestArgs);
  return args;
}

/** Oxydra's container naming: `oxydra-{tier}-{user}-{role}`. */
export function containerName(userId: string, role: 'runtime' | 'sidecar'): string {
  return `oxydra-container-${userId}-${role}`;
}
