/**
 * Preparing and running one user's container-tier guest: the folders it may write handed to
 * the uid it runs as, the envelope file, and the engine's `run` argv. The guest is never root:
 * a runner running as root runs it as "nobody" (the uid the process tier's sandboxed commands
 * use), an ordinary runner as its own uid. Users are kept apart by the container itself (its
 * own mount, process and network namespaces), not by that uid.
 */
import { spawnSync } from 'node:child_process';
import { lchown, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '@oxydra/config';
import { GATEWAY_TOKEN_ENV } from '@oxydra/config/admin';
import { NOBODY } from '@oxydra/sandbox';
import type { BootstrapEnvelope } from './envelope.js';
import { encodeGuestSecrets } from './guest-secrets.js';
import { issueGuestGatewayToken } from './guest-token.js';
import type { RunnerPlan } from './plan.js';
import { removeGuestTree } from './remove-tree.js';
import { containerName, containerRunArgs, GUEST_BOOTSTRAP_FILE } from './tiers/container-args.js';
import type { ContainerEngine } from './tiers/container-engine.js';
import { refuseContainerOfAnotherProject } from './tiers/container-holder.js';
import {
  type ContainerNetwork,
  containerNetworkDirs,
  GUEST_EGRESS_SOCKET,
  GUEST_GATEWAY_SOCKET,
  startContainerNetwork,
} from './tiers/container-network.js';
import { engineDialect } from './tiers/engine-dialect.js';
import { guestEnvNames } from './tiers/guest-env.js';
import { pinnedProviderHosts } from './tiers/provider-hosts.js';
import { runnerUlimits } from './tiers/ulimits.js';

/** The uid:gid the guest runs as. */
function guestIds(euid = process.geteuid?.()): { uid: number; gid: number } {
  if (euid === undefined || euid === 0) return NOBODY;
  return { uid: euid, gid: process.getegid?.() ?? euid };
}

/**
 * Gives `path` and everything under it to the guest, never following a symbolic link: not
 * below, and not at `path` itself, which may be one the guest left (shared/.oxydra is in its
 * folder). readdir would follow it, handing the guest whatever host folder it names. The guest
 * is not running while this walks, so nothing is swapped in between.
 */
async function handOver(path: string, ids: { uid: number; gid: number }): Promise<void> {
  await lchown(path, ids.uid, ids.gid);
  if (!(await lstat(path)).isDirectory()) return;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await handOver(child, ids);
    else await lchown(child, ids.uid, ids.gid);
  }
}

/**
 * The folders the guest writes, owned by its uid: tmp, its ipc corner, and shared/.oxydra (its
 * configuration and memory database, which an earlier process-tier guest may have left as root).
 * The rest of shared/ stays as it is, as for the process tier's sandboxed commands.
 */
async function prepareFolders(plan: RunnerPlan, ids: { uid: number; gid: number }): Promise<void> {
  const shared = plan.mounts.shared ?? plan.paths.shared;
  const tmp = plan.mounts.tmp ?? plan.paths.tmp;
  const bootstrapDir = dirname(plan.paths.bootstrapFile);
  for (const dir of [plan.paths.guestIpc, bootstrapDir, join(shared, '.oxydra')]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  if (process.geteuid?.() !== 0) return;
  await lchown(shared, ids.uid, ids.gid);
  for (const dir of [tmp, plan.paths.guestIpc, join(shared, '.oxydra')]) await handOver(dir, ids);
}

export interface ContainerLaunch {
  engine: ContainerEngine;
  name: string;
  argv: string[];
  /** The frame to write on the guest's stdin: its secrets. */
  secrets: Buffer;
  /** Its egress proxy and gateway forward, to close when it is gone. */
  network: ContainerNetwork;
}

/** Everything but the spawn: files in place, a stale container of the same name removed. */
export async function prepareContainerGuest(
  plan: RunnerPlan,
  engine: ContainerEngine,
  image: string,
  envelope: BootstrapEnvelope,
  env: NodeJS.ProcessEnv,
  /** A line for the guest's stderr log (the runner's own notes about it). */
  log: (line: string) => void,
): Promise<ContainerLaunch> {
  const ids = guestIds();
  const name = containerName(plan.userId, 'runtime');
  // The name is the user's on this machine: another project's running guest keeps it.
  refuseContainerOfAnotherProject(engine, name, plan.userId, plan.projectDir);
  // A container left by a crashed runner would hold the name; and it must be gone before the
  // guest's folders are walked (prepareFolders), so nothing in them changes under the walk.
  spawnSync(engine.path, [...engine.globalArgs, 'rm', '--force', name], { stdio: 'ignore', timeout: 30_000 });
  await prepareFolders(plan, ids);
  await writeFileAtomic(plan.paths.bootstrapFile, JSON.stringify(envelope), { mode: 0o600 });
  if (process.geteuid?.() === 0) await handOver(dirname(plan.paths.bootstrapFile), ids);
  // A killed guest's endpoints would point at its closed socket and port. The guest's may be
  // anything it made, a folder too (which once failed every next start): removed whole, never
  // through a link, even one swapped in during the walk (remove-tree.ts).
  await removeGuestTree(join(plan.paths.guestIpc, 'gateway-endpoint'));
  await rm(plan.paths.gatewayEndpoint, { force: true });
  const dirs = containerNetworkDirs(plan.paths.ipc);
  const shared = plan.mounts.shared ?? plan.paths.shared;
  const egress = await pinnedProviderHosts(shared, plan.paths.egressPin, env);
  if (egress.unreadable !== undefined) {
    log(`egress: only the built-in providers' hosts are allowed: ${egress.unreadable}, not read`);
  }
  for (const host of egress.heldBack) {
    log(
      `egress not allowed: ${host} was added to ${join(shared, '.oxydra')} after this user's first container start, and the guest can write that folder; if you added it, delete ${plan.paths.egressPin} and start again`,
    );
  }
  const network = await startContainerNetwork({
    dirs,
    guest: ids,
    allowHosts: egress.allow,
    // A refusal is worth the operator's eye (a prompt-injected command, or a tool this tier
    // cannot serve); what was allowed is the guest's ordinary model traffic.
    onDecision: (decision) => {
      if (!decision.allowed) log(`egress refused: ${decision.method} ${decision.host}:${decision.port}`);
    },
  });
  const argv = containerRunArgs({
    name,
    image,
    userId: plan.userId,
    projectDir: plan.projectDir,
    ...ids,
    resources: plan.user.resources ?? {},
    ulimits: runnerUlimits(),
    folders: {
      shared,
      tmp: plan.mounts.tmp ?? plan.paths.tmp,
      vault: plan.mounts.vault ?? plan.paths.vault,
    },
    guestIpc: plan.paths.guestIpc,
    bootstrapDir: dirname(plan.paths.bootstrapFile),
    network: dirs,
    engineArgs: engineDialect(engine).runArgs,
    guestArgs: [
      'guest',
      '--bootstrap-file',
      GUEST_BOOTSTRAP_FILE,
      '--secrets-stdin',
      '--egress-socket',
      GUEST_EGRESS_SOCKET,
      '--gateway-socket',
      GUEST_GATEWAY_SOCKET,
      '--gateway-bind',
      `127.0.0.1:${network.gatewayPort}`,
    ],
  });
  return {
    engine,
    name,
    argv: [...engine.globalArgs, ...argv],
    secrets: encodeGuestSecrets([...guestEnvNames(env, plan.user.credential_refs), GATEWAY_TOKEN_ENV], {
      ...env,
      [GATEWAY_TOKEN_ENV]: await issueGuestGatewayToken(plan.paths),
    }),
    network,
  };
}
