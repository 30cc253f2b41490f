/**
 * A user's folders under the runner's workspace root: `<root>/<user>/{shared,tmp,vault,ipc,logs}`,
 * each private to the operator's account (0700), and the files the runner keeps there.
 */
import { chmod, chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NOBODY } from '@oxydra/sandbox';
import { ConfigError } from '@oxydra/types';

export const WORKSPACE_FOLDERS = ['shared', 'tmp', 'vault', 'ipc', 'logs'] as const;
/** sockaddr_un holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export interface WorkspacePaths {
  /** `<workspace_root>/<user>` */
  root: string;
  shared: string;
  tmp: string;
  vault: string;
  ipc: string;
  logs: string;
  controlSocket: string;
  pidFile: string;
  /** Written by the guest once its gateway listens: `ws://127.0.0.1:<port>/ws`. */
  gatewayEndpoint: string;
  /** A container or micro-VM guest's own gateway token (guest-token.ts). */
  gatewayToken: string;
  /** The container tier's envelope file, its folder mounted read-only into the guest. */
  bootstrapFile: string;
  /** The container tier's /workspace/ipc: the guest writes its gateway endpoint there. */
  guestIpc: string;
  /**
   * The container tier's egress pin: the provider hosts the user's files named at the first
   * container start. In ipc/ itself, which is never mounted into the guest.
   */
  egressPin: string;
}

export function workspacePaths(workspaceRoot: string, userId: string): WorkspacePaths {
  const root = join(workspaceRoot, userId);
  const ipc = join(root, 'ipc');
  const paths: WorkspacePaths = {
    root,
    shared: join(root, 'shared'),
    tmp: join(root, 'tmp'),
    vault: join(root, 'vault'),
    ipc,
    logs: join(root, 'logs'),
    controlSocket: join(ipc, 'runner-control.sock'),
    pidFile: join(ipc, 'runner.pid'),
    gatewayEndpoint: join(ipc, 'gateway-endpoint'),
    gatewayToken: join(ipc, 'gateway-token'),
    // Out of tmp/, which the guest can write: it must not rewrite its next envelope.
    bootstrapFile: join(ipc, 'bootstrap', 'runner_bootstrap.json'),
    guestIpc: join(ipc, 'guest'),
    egressPin: join(ipc, 'egress-hosts.json'),
  };
  const socketBytes = Buffer.byteLength(paths.controlSocket);
  if (socketBytes > MAX_SOCKET_PATH_BYTES) {
    throw new ConfigError(
      `the control socket path ${paths.controlSocket} is ${socketBytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of Unix sockets`,
      { keyPath: 'workspace_root' },
      { hint: 'set workspace_root in runner.toml to a shorter path' },
    );
  }
  return paths;
}

/**
 * Creates the user's folders (idempotent) and makes each 0700 whatever the umask. A runner
 * running as root gives the user's folder and its `shared` workspace to an ordinary uid
 * ("nobody"): the guest's sandboxed commands run as that uid (never host root), and must reach
 * and write the workspace. The rest (vault, ipc, logs) stays root's, out of their reach.
 */
export async function provisionWorkspace(
  paths: WorkspacePaths,
  euid: number | undefined = process.geteuid?.(),
): Promise<void> {
  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  await chmod(paths.root, 0o700);
  for (const folder of WORKSPACE_FOLDERS) {
    const path = join(paths.root, folder);
    await mkdir(path, { recursive: true, mode: 0o700 });
    await chmod(path, 0o700);
  }
  if (euid === 0) {
    for (const path of [paths.root, paths.shared]) await chown(path, NOBODY.uid, NOBODY.gid);
  }
}
