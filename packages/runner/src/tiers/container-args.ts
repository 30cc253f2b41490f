/**
 * The `docker run` / `podman run` arguments of a container-tier guest: a pure function, so
 * every hardening flag is unit-tested without an engine. The guest runs as the operator's
 * uid:gid (never root), with no capabilities, no privilege escalation and the user's resource
 * limits; it sees only the user's workspace, and its bootstrap envelope read-only.
 */

/** Where things appear inside the guest. */
export const GUEST_WORKSPACE = '/workspace';
const GUEST_BOOTSTRAP_DIR = '/run/oxydra/bootstrap';
export const GUEST_BOOTSTRAP_FILE = `${GUEST_BOOTSTRAP_DIR}/runner_bootstrap.json`;

export interface ContainerGuestSpec {
  name: string;
  image: string;
  uid: number;
  gid: number;
  resources: { max_vcpus?: number; max_memory_mib?: number; max_processes?: number };
  /** Host folder mounted at /workspace (the user's `<root>/<user>`). */
  workspace: string;
  /** Host folders replacing /workspace/{shared,tmp,vault} (the user file's [mounts]). */
  mounts: { shared?: string; tmp?: string; vault?: string };
  /** Host folder holding runner_bootstrap.json. */
  bootstrapDir: string;
  /** Variables passed through by name only: their values never appear in the argv (or `ps`). */
  envNames: readonly string[];
  /** Arguments after the image (the entrypoint is the image's `oxydra`). */
  guestArgs: readonly string[];
}

export function containerRunArgs(spec: ContainerGuestSpec): string[] {
  const args = [
    'run',
    '--rm',
    '--name',
    spec.name,
    '--user',
    `${spec.uid}:${spec.gid}`,
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    // The guest's gateway listens on the host's 127.0.0.1, as in Oxydra (network_mode: host).
    '--network',
    'host',
  ];
  const { max_processes, max_memory_mib, max_vcpus } = spec.resources;
  if (max_processes !== undefined) args.push('--pids-limit', String(max_processes));
  if (max_memory_mib !== undefined) args.push('--memory', `${max_memory_mib}m`);
  if (max_vcpus !== undefined) args.push('--cpus', String(max_vcpus));

  args.push('--volume', `${spec.workspace}:${GUEST_WORKSPACE}`);
  if (spec.mounts.shared) args.push('--volume', `${spec.mounts.shared}:${GUEST_WORKSPACE}/shared`);
  if (spec.mounts.tmp) args.push('--volume', `${spec.mounts.tmp}:${GUEST_WORKSPACE}/tmp`);
  // The vault is read through vault_copyto only: the guest never needs to write it.
  args.push('--volume', `${spec.mounts.vault ?? `${spec.workspace}/vault`}:${GUEST_WORKSPACE}/vault:ro`);
  args.push('--volume', `${spec.bootstrapDir}:${GUEST_BOOTSTRAP_DIR}:ro`);
  args.push('--env', `OXYDRA_BOOTSTRAP_FILE=${GUEST_BOOTSTRAP_FILE}`);
  for (const name of [...new Set(spec.envNames)].sort()) args.push('--env', name);
  args.push('--workdir', `${GUEST_WORKSPACE}/shared`, spec.image, ...spec.guestArgs);
  return args;
}

/** Oxydra's container naming: `oxydra-{tier}-{user}-{role}`. */
export function containerName(userId: string, role: 'runtime' | 'sidecar'): string {
  return `oxydra-container-${userId}-${role}`;
}
