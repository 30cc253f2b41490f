/**
 * A container guest's network under `--network none`: its own loopback and nothing else. Two
 * Unix sockets, each in a host folder bind-mounted into it, are its only ways out and in:
 *
 * - egress: the runner's allowlisting proxy (@oxydra/sandbox), through which the guest's fetch
 *   reaches the user's model providers' hosts and nothing else (no DNS, no other address);
 * - gateway: the guest listens on a socket in a folder it may write only until then; the runner
 *   takes the folder back and pins the socket's inode (so the guest cannot swap the socket for a
 *   symbolic link to one of the host's sockets, which the runner would then open for anyone on
 *   127.0.0.1) and forwards a
 *   port of the host's 127.0.0.1 to it, the same number the gateway binds on its own loopback:
 *   that port is the endpoint clients and `runner status` use.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '@oxydra/config';
import { type EgressDecision, type EgressProxy, startEgressProxy } from '@oxydra/sandbox';
import { parseHostPattern } from '@oxydra/types';
import { readSmallFile } from '@oxydra/types/fs';
import { removeGuestTree } from '../remove-tree.js';

/** Where the two folders appear inside the guest. */
export const GUEST_EGRESS_DIR = '/run/oxydra/egress';
export const GUEST_GATEWAY_DIR = '/run/oxydra/gateway';
const EGRESS_SOCKET = 'proxy.sock';
const GATEWAY_SOCKET = 'gateway.sock';
const POLL_MS = 200;

export interface Ids {
  uid: number;
  gid: number;
}

export interface ContainerNetworkDirs {
  /** Host folder bound read-only at GUEST_EGRESS_DIR. */
  egress: string;
  /** Host folder bound at GUEST_GATEWAY_DIR. */
  gateway: string;
}

export function containerNetworkDirs(ipcDir: string): ContainerNetworkDirs {
  return { egress: join(ipcDir, 'egress'), gateway: join(ipcDir, 'gateway') };
}

/** The guest-side socket paths, for its `--egress-socket` and `--gateway-socket`. */
export const GUEST_EGRESS_SOCKET = `${GUEST_EGRESS_DIR}/${EGRESS_SOCKET}`;
export const GUEST_GATEWAY_SOCKET = `${GUEST_GATEWAY_DIR}/${GATEWAY_SOCKET}`;

/**
 * A server piping every connection to a new one `upstream` opens (the gateway forwards); while
 * `open` says no, connections are closed at once.
 */
export function forwardingServer(upstream: () => Socket, open: () => boolean = () => true): Server {
  return createServer((client) => {
    if (!open()) return void client.destroy();
    const other = upstream();
    client.pipe(other).pipe(client);
    const end = () => {
      client.destroy();
      other.destroy();
    };
    for (const side of [client, other]) {
      side.on('error', end);
      side.on('close', end);
    }
  });
}

const asRoot = () => process.geteuid?.() === 0;

/** open(2)'s O_PATH on Linux (x86_64 and arm64): a handle to the inode, not opened for I/O. */
const O_PATH = 0o10000000;

/**
 * A handle pinning the socket's inode, or undefined if `path` is not a socket (a symbolic link
 * is not followed). Connecting to /proc/self/fd/<handle> reaches that very socket whatever the
 * name points at later: a guest running as the runner's own uid (a non-root runner: rootless
 * podman, docker) owns the gateway folder even after it is taken back, so it could chmod it and
 * swap the socket for a link to one of the runner's sockets, for anyone on 127.0.0.1 to reach.
 */
function pinSocket(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, O_PATH | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  if (fstatSync(fd).isSocket()) return fd;
  closeSync(fd);
  return undefined;
}

/** A fresh, empty folder: nothing a previous guest left (a symbolic link, a socket) survives. */
async function freshDir(dir: string, owner: Ids | undefined): Promise<void> {
  await removeGuestTree(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (owner && asRoot()) await chown(dir, owner.uid, owner.gid);
}

export interface ContainerNetwork {
  /** The host port forwarded to the guest's gateway, which listens on the same number. */
  gatewayPort: number;
  /**
   * Waits until the guest listens on its gateway socket, takes the folder back, checks the socket
   * and forwards a host port to it; writes `ws://127.0.0.1:<port>/ws` to `endpointFile`.
   * `guestEndpointFile` is where the guest says it is listening.
   */
  forwardGateway(guestEndpointFile: string, endpointFile: string, stillRunning: () => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startContainerNetwork(options: {
  dirs: ContainerNetworkDirs;
  guest: Ids;
  allowHosts: readonly string[];
  onDecision?: (decision: EgressDecision) => void;
  /** Default: the egress proxy's own cap (EGRESS_MAX_CONNECTIONS). */
  maxEgressConnections?: number;
}): Promise<ContainerNetwork> {
  const { dirs, guest } = options;
  await freshDir(dirs.egress, undefined);
  await freshDir(dirs.gateway, guest);
  // The folder stays the runner's and read-only in the guest; the socket alone is the guest's.
  await chmod(dirs.egress, 0o755);
  const egressSocket = join(dirs.egress, EGRESS_SOCKET);
  const proxy: EgressProxy = await startEgressProxy({
    socketPath: egressSocket,
    allow: options.allowHosts.map(parseHostPattern),
    ...(options.maxEgressConnections !== undefined ? { maxConnections: options.maxEgressConnections } : {}),
    refusalFix:
      "a container-tier guest reaches only its model providers' hosts (the user's [providers.registry])",
    ...(options.onDecision ? { onDecision: options.onDecision } : {}),
  });
  if (asRoot()) await chown(egressSocket, guest.uid, guest.gid);
  await chmod(egressSocket, 0o600);

  // The host port is taken now, and the guest's gateway binds the same number in its own
  // network namespace: the gateway answers only Host headers naming its bound port.
  const gatewaySocket = join(dirs.gateway, GATEWAY_SOCKET);
  let ready = false;
  // Set once the socket is checked: the path every forward connects to (see pinSocket).
  let target = gatewaySocket;
  let pinned: number | undefined;
  const forward = forwardingServer(
    () => connect(target),
    () => ready,
  );
  await new Promise<void>((resolve, reject) => {
    forward.once('error', reject);
    forward.listen(0, '127.0.0.1', () => resolve());
  });
  const address = forward.address();
  if (address === null || typeof address === 'string') throw new Error('internal: no forward port');
  let closed = false;
  return {
    gatewayPort: address.port,
    async forwardGateway(guestEndpointFile, endpointFile, stillRunning) {
      while (!closed && stillRunning()) {
        // The guest's own file: a FIFO, a link (to /dev/zero, say) or a huge file there must
        // neither hang this loop nor fill the runner's memory. Only "something was written" counts.
        const said = readSmallFile(guestEndpointFile, { maxBytes: 256, oversize: 'truncate' });
        if (said.ok && said.bytes.toString('utf8').trim() !== '') break;
        await sleep(POLL_MS);
      }
      if (closed || !stillRunning()) return;
      // Taken back: from here on the guest can neither add nor replace an entry of the folder.
      if (asRoot()) await chown(dirs.gateway, 0, 0);
      await chmod(dirs.gateway, 0o755);
      pinned = pinSocket(gatewaySocket);
      if (pinned === undefined) {
        throw new Error(`the guest's gateway socket ${gatewaySocket} is missing or not a socket`);
      }
      target = `/proc/self/fd/${pinned}`;
      ready = true;
      await writeFileAtomic(endpointFile, `ws://127.0.0.1:${address.port}/ws\n`, { mode: 0o600 });
    },
    async close() {
      closed = true;
      forward.close();
      if (pinned !== undefined) closeSync(pinned);
      pinned = undefined;
      await proxy.close();
      // The container may still run (its client killed after the grace period): the gateway
      // folder is its to change while it goes (remove-tree.ts).
      await removeGuestTree(dirs.egress);
      await removeGuestTree(dirs.gateway);
    },
  };
}
