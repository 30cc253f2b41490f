/**
 * The guest's gateway: the one `oxydra gateway` runs (run/gateway-daemon.ts), on the user's
 * folder, with what the envelope says about the user (shell, sandbox, vault) as its typed policy.
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { urlHost } from '@oxydra/gateway';
import type { GuestPolicy } from '@oxydra/kernel';
import type { BootstrapEnvelope } from '@oxydra/runner';
import { startWorkspaceGateway } from '../run/gateway-daemon.js';
import { gatewayLogger } from '../run/gateway-log.js';
import { setTrustFlag } from '../run/load-config.js';

export interface GuestGateway {
  /** `ws://127.0.0.1:<port>/ws` */
  endpoint: string;
  close(): Promise<void>;
}

export interface GuestGatewayOptions {
  bind: string;
  log: (line: string) => void;
}

/**
 * The policy the envelope imposes, typed. The process tier sandboxes shell commands with the OS
 * sandbox (required, never silently skipped); --insecure and the container tier (the container
 * is the sandbox) run them directly; a user without a shell gets no shell_exec; the user's
 * process and memory limits bound each sandboxed command.
 */
export function guestPolicy(envelope: BootstrapEnvelope): GuestPolicy {
  const status = envelope.startup_status;
  const insecure =
    status?.degraded_reasons.some((reason) => reason.code === 'insecure_process_tier') ?? false;
  const policy = envelope.runtime_policy;
  const { max_processes, max_memory_mib } = policy?.resources ?? {};
  return {
    shell: status?.shell_available ?? true,
    sandbox: insecure || envelope.sandbox_tier !== 'process' ? 'none' : 'required',
    ...(policy ? { vaultPath: policy.mounts.vault } : {}),
    ...(max_processes !== undefined ? { maxProcesses: max_processes } : {}),
    ...(max_memory_mib !== undefined ? { maxMemoryMib: max_memory_mib } : {}),
  };
}

/**
 * Starts the gateway `oxydra gateway` runs, on the user's own workspace: the `shared` folder
 * (its `.oxydra/` holds the user's agent.toml and memory database, out of the tools' reach),
 * with the envelope's policy over the user's configuration.
 */
export async function startGuestGateway(
  envelope: BootstrapEnvelope,
  options: GuestGatewayOptions,
): Promise<GuestGateway> {
  const workspace = envelope.runtime_policy?.mounts.shared ?? join(envelope.workspace_root, 'shared');
  await mkdir(workspace, { recursive: true, mode: 0o700 });
  options.log(`workspace ${workspace}`);
  // The runner made this folder for the user under its own workspace_root, and its .oxydra/
  // holds the configuration the operator gave the user (out of the tools' and the sandbox's
  // reach): it is not a folder someone else brought, so its keys apply as trusted. The runner's
  // own runner.toml is what needed trust, before any guest started.
  setTrustFlag(true);
  let secrets: readonly string[] = [];
  const daemon = await startWorkspaceGateway({
    workspace,
    policy: guestPolicy(envelope),
    bind: options.bind,
    bindSource: '--gateway-bind',
    // The gateway's own log goes to the guest's stdout: <ws>/logs/runtime.stdout.log.
    log: gatewayLogger('pretty', process.stdout, {
      color: false,
      debug: Boolean(process.env.OXYDRA_DEBUG),
      secrets: () => secrets,
    }),
  });
  secrets = daemon.secrets;
  const { gateway } = daemon;
  return {
    endpoint: `ws://${urlHost(gateway.host)}:${gateway.port}/ws`,
    close: () => daemon.close(),
  };
}
