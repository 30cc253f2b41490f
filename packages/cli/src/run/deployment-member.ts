/**
 * The processes of a deployment on one PostgreSQL store (docs/postgres.md, "Several processes"):
 * each gets a fresh id per start, and `oxydra scheduler run`, `oxydra schedule run-now` and
 * `oxydra mcp serve` join it here as members of their own kind, so their runs claim their users'
 * slots in the deployment's per-user limit, a dead one's claims are reaped by the others, and
 * their runs stop when they are cut off (the kernel's DeploymentMember; the gateway joins
 * through its GatewayCluster). None of it loads the gateway. On libSQL nothing of it is loaded:
 * the process's slots are its own.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kernel } from '@oxydra/kernel';
import type { MemberLog } from '@oxydra/kernel/deployment';
import type { ProcessInfo, ProcessKind } from '@oxydra/types';
import { type CliKernelOptions, loadRunConfigAndTrust, type RunFlags } from './spawn-flags.js';
import { openKernelWithStores, type SharedStore } from './store-choice.js';

/** This process as a deployment knows it: a fresh id per start (a restarted process is a new one). */
export function processInfo(kind: ProcessKind): ProcessInfo {
  const id = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  return { id, host: hostname(), pid: process.pid, kind };
}

/**
 * Loads the configuration and opens the kernel on its store (as openCliKernel does); on
 * PostgreSQL this process then joins the deployment as a `kind` member, before it takes any run.
 * `member`: whether it joined. `close`: what the caller calls instead of `kernel.close()` once
 * its runs ended: the process leaves the deployment, then the kernel (and the store) close.
 */
export async function openMemberKernel(
  flags: RunFlags,
  options: CliKernelOptions,
  kind: Exclude<ProcessKind, 'gateway'>,
  log: MemberLog,
): Promise<{ kernel: Kernel; member: boolean; close: () => Promise<void> }> {
  const { config } = await loadRunConfigAndTrust(flags, options);
  const { kernel, shared } = await openKernelWithStores({
    workspace: options.workspace,
    config,
    host: options.host ?? 'cli',
    ...(options.env ? { env: options.env } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  if (!shared) return { kernel, member: false, close: () => kernel.close() };
  let leave: () => Promise<void>;
  try {
    leave = await joinAs(kernel, shared, kind, log);
  } catch (error) {
    await kernel.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= leave().finally(() => kernel.close());
    return closing;
  };
  return { kernel, member: true, close };
}

async function joinAs(
  kernel: Kernel,
  shared: SharedStore,
  kind: ProcessKind,
  log: MemberLog,
): Promise<() => Promise<void>> {
  const self = processInfo(kind);
  const [{ DeploymentMember, reapedTurnReporter }, bus, admission] = await Promise.all([
    import('@oxydra/kernel/deployment'),
    shared.openBus(self.id),
    kernel.service('admission'),
  ]);
  const member = new DeploymentMember({
    store: shared.cluster,
    bus,
    process: self,
    admission,
    log,
    // A dead gateway's session turn reaped here: its record fixed, the gateways' clients told.
    reaped: reapedTurnReporter(shared.sessions, bus),
  });
  await member.start();
  return () => member.stop();
}

/** A member's log lines as one line each on stderr (stdout may be a protocol's: MCP). */
export function stderrMemberLog(write: (line: string) => void): MemberLog {
  return (level, message, fields) => {
    const tail = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    write(`${level === 'info' ? '' : `${level}: `}${message}${tail}`);
  };
}
