/**
 * One egress proxy per runner, started with its first command: a private directory (0700) on
 * the host holding the proxy's Unix socket and the bridge script, bound read-only into every
 * sandbox at EGRESS_MOUNT. Removed when the process exits.
 */
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type HostPattern, parseHostPattern } from '@oxydra/types';
import type { SandboxIdentity } from '../identity.js';
import { BRIDGE_SCRIPT, PROXY_PORT } from './bridge.js';
import { type EgressDecision, startEgressProxy } from './proxy.js';

/** Where the proxy directory appears inside the sandbox. */
export const EGRESS_MOUNT = '/run/oxydra-egress';

export interface EgressSession {
  /** The host directory to bind at EGRESS_MOUNT. */
  dir: string;
  /** Prefix for the command inside the sandbox: the bridge, which then runs the command. */
  commandPrefix(nodePath: string): string[];
  /** Variables pointing HTTP clients in the sandbox at the bridge. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export function proxyEnv(port = PROXY_PORT): Record<string, string> {
  const url = `http://127.0.0.1:${port}`;
  // Both spellings: curl reads the lower-case http_proxy only; others read either.
  const noProxy = 'localhost,127.0.0.1,::1';
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    ALL_PROXY: url,
    all_proxy: url,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
}

export async function openEgressSession(
  allowHosts: readonly string[],
  onDecision?: (decision: EgressDecision) => void,
  identity?: SandboxIdentity,
): Promise<EgressSession> {
  const allow: HostPattern[] = allowHosts.map(parseHostPattern);
  const dir = mkdtempSync(path.join(tmpdir(), 'oxydra-egress-'));
  chmodSync(dir, 0o700);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  writeFileSync(path.join(dir, 'bridge.mjs'), BRIDGE_SCRIPT);
  const proxy = await startEgressProxy({
    socketPath: path.join(dir, 'proxy.sock'),
    allow,
    ...(onDecision ? { onDecision } : {}),
  });
  // The sandbox's ordinary uid (Oxydra running as root) must reach the bridge and the socket:
  // the directory and its files become its own, still closed to everyone else.
  if (identity !== undefined) {
    for (const entry of [dir, path.join(dir, 'bridge.mjs'), path.join(dir, 'proxy.sock')])
      chownSync(entry, identity.uid, identity.gid);
  }
  return {
    dir,
    commandPrefix: (nodePath) => [
      nodePath,
      `${EGRESS_MOUNT}/bridge.mjs`,
      String(PROXY_PORT),
      `${EGRESS_MOUNT}/proxy.sock`,
      '--',
    ],
    env: proxyEnv(),
    close: async () => {
      await proxy.close();
      process.off('exit', removeDir);
      removeDir();
    },
  };
}
