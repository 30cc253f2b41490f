/**
 * `oxydra service install|uninstall|status`: this workspace's gateway as a systemd service. A
 * user unit (~/.config/systemd/user) normally; a system unit (/etc/systemd/system) as root or
 * with --system, running as the workspace's owner (root only for root's own workspace). The
 * unit (run/service-unit.ts) runs this very node and oxydra by absolute path; one per workspace.
 * A unit file already at the path that is not ours for this workspace is never overwritten or
 * removed. --dry-run prints the unit (on macOS the launchd job) and touches nothing, which is
 * also the way out where systemd does not run the machine.
 */
import { constants, realpathSync, statSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findWorkspaceRoot, userConfigDirectory, writeFileAtomic } from '@oxydra/config';
import { UnsafeLogFile } from '@oxydra/config/admin';
import { OXYDRA_HOME_FOLDERS, UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { colorFor } from '../run/color.js';
import { renderLogLine } from '../run/gateway-log.js';
import { lastGatewayLogLines } from '../run/gateway-log-file.js';
import { runningGateways } from '../run/gateway-registry.js';
import { selfCommand } from '../run/self-command.js';
import {
  launchdPlist,
  type ServicePlan,
  type ServiceScope,
  serviceName,
  systemdUnit,
  WORKSPACE_KEY,
} from '../run/service-unit.js';
import { lookupUser, requireSystemd, systemctl, systemctlOrThrow, unitDirectory } from '../run/systemd.js';

export interface ServiceFlags {
  system?: boolean;
  user?: boolean;
  port?: string;
  dryRun?: boolean;
  json?: boolean;
}

const STATUS_LOG_LINES = 10;
const MAX_UNIT_BYTES = 64 * 1024;

function scopeOf(flags: ServiceFlags): ServiceScope {
  if (flags.system && flags.user) throw new UsageError('--system and --user: choose one');
  if (flags.system) return 'system';
  if (flags.user) return 'user';
  return process.geteuid?.() === 0 ? 'system' : 'user';
}

function portOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port ${raw}: expected a port number from 1 to 65535`);
  return port;
}

interface Target {
  plan: ServicePlan;
  name: string;
  unitPath: string;
}

function target(flags: ServiceFlags): Target {
  const scope = scopeOf(flags);
  const workspace = realpathSync(findWorkspaceRoot());
  const port = portOf(flags.port);
  let user: string | undefined;
  let environmentFile = join(userConfigDirectory({ cwd: workspace }), 'service.env');
  if (scope === 'system') {
    // The gateway runs as the workspace's owner: root only for a workspace root owns.
    const owner = statSync(workspace).uid;
    const account = lookupUser(owner);
    if (owner !== 0) user = account?.name ?? String(owner);
    environmentFile = join(
      account?.home ?? (owner === 0 ? '/root' : '/nonexistent'),
      ...OXYDRA_HOME_FOLDERS.config,
      'service.env',
    );
  }
  const name = serviceName(workspace);
  const plan: ServicePlan = {
    scope,
    workspace,
    command: selfCommand(),
    ...(port !== undefined ? { port } : {}),
    ...(user !== undefined ? { user } : {}),
    environmentFile,
  };
  return { plan, name, unitPath: join(unitDirectory(scope), `${name}.service`) };
}

/** The unit file at the path, read without following a link; undefined when there is none. */
async function existingUnit(path: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') return ''; // a link: not ours
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) return '';
    const buffer = Buffer.alloc(MAX_UNIT_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_UNIT_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function isOurs(text: string, workspace: string): boolean {
  return text.split('\n').includes(`${WORKSPACE_KEY}=${workspace.replaceAll('%', '%%')}`);
}

async function refuseForeign(path: string, workspace: string): Promise<boolean> {
  const text = await existingUnit(path);
  if (text === undefined) return false;
  if (!isOurs(text, workspace))
    throw new UsageError(
      `${path} exists and was not written by oxydra service install for ${workspace}: not touching it`,
      {
        hint: 'move that file away yourself if it is stale, then run this again',
      },
    );
  return true;
}

function requireRootForSystem(scope: ServiceScope): void {
  if (scope === 'system' && process.geteuid?.() !== 0)
    throw new UsageError('a system unit is installed as root', {
      hint: 'run it with sudo, or install a user unit with --user',
    });
}

export async function runServiceInstall(flags: ServiceFlags): Promise<number> {
  const { plan, name, unitPath } = target(flags);
  if (flags.dryRun) {
    process.stdout.write(process.platform === 'darwin' ? launchdPlist(plan) : systemdUnit(plan));
    return EXIT_OK;
  }
  requireSystemd(plan.scope);
  requireRootForSystem(plan.scope);
  const unit = systemdUnit(plan);
  const replacing = await refuseForeign(unitPath, plan.workspace);
  await writeFileAtomic(unitPath, unit, { mode: 0o644 });
  const scopeFlag = plan.scope === 'user' ? '--user ' : '';
  systemctlOrThrow(plan.scope, ['daemon-reload']);
  systemctlOrThrow(plan.scope, ['enable', '--now', `${name}.service`]);
  if (replacing) systemctlOrThrow(plan.scope, ['restart', `${name}.service`]);
  process.stdout.write(
    `${replacing ? 'updated' : 'installed'} ${unitPath} and started it (${name}.service)
  status: oxydra service status   log: oxydra logs -f   stop and remove: oxydra service uninstall
  API keys: put NAME=value lines in ${plan.environmentFile} (chmod 600), then systemctl ${scopeFlag}restart ${name}
`,
  );
  return EXIT_OK;
}

export async function runServiceUninstall(flags: ServiceFlags): Promise<number> {
  const { plan, name, unitPath } = target(flags);
  requireSystemd(plan.scope);
  requireRootForSystem(plan.scope);
  if (!(await refuseForeign(unitPath, plan.workspace))) {
    process.stdout.write(`no ${plan.scope} service is installed for ${plan.workspace} (${unitPath})\n`);
    return 1;
  }
  // Stopped first (SIGTERM: the gateway finishes cleanly); a unit systemd never loaded is fine.
  systemctl(plan.scope, ['disable', '--now', `${name}.service`]);
  await rm(unitPath, { force: true });
  systemctlOrThrow(plan.scope, ['daemon-reload']);
  process.stdout.write(`stopped and removed ${name}.service (${unitPath})\n`);
  return EXIT_OK;
}

export async function runServiceStatus(flags: ServiceFlags): Promise<number> {
  const { plan, name, unitPath } = target(flags);
  requireSystemd(plan.scope);
  const installed = await refuseForeign(unitPath, plan.workspace);
  const property = (key: string) =>
    systemctl(plan.scope, ['show', '-p', key, '--value', `${name}.service`]).stdout;
  const active = installed ? property('ActiveState') || 'unknown' : 'not installed';
  const mainPid = installed ? Number(property('MainPID')) : 0;
  // Its address, from the record the gateway writes when it listens (run/gateway-registry.ts).
  const recorded = runningGateways(plan.workspace).find((record) => record.pid === mainPid)?.url;
  // Printed to a terminal: only what an address looks like (the record is a file in the workspace).
  const url = recorded !== undefined && /^https?:\/\/[\w.:[\]-]+$/.test(recorded) ? recorded : null;
  const log =
    (await lastGatewayLogLines(plan.workspace, STATUS_LOG_LINES).catch((error: unknown) => {
      if (!(error instanceof UnsafeLogFile)) throw error;
      process.stderr.write(`warning: ${error.message}\n`);
      return undefined;
    })) ?? [];
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ workspace: plan.workspace, scope: plan.scope, unit: `${name}.service`, path: unitPath, installed, active, pid: mainPid || null, url, log }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(
      `${name}.service (${plan.scope}): ${installed ? `installed, ${active}${mainPid ? `, pid ${mainPid}` : ''}` : 'not installed'}\n`,
    );
    process.stdout.write(`  unit: ${unitPath}\n  workspace: ${plan.workspace}\n`);
    if (url) process.stdout.write(`  url: ${url}\n`);
    // A gateway that failed before it started logging said why on stderr: systemd's journal.
    if (installed && active !== 'active')
      process.stdout.write(`  why: journalctl ${plan.scope === 'user' ? '--user ' : ''}-u ${name} -n 20\n`);
    if (log.length > 0) {
      process.stdout.write(`  last lines of the log (oxydra logs):\n`);
      const color = colorFor(process.stdout);
      for (const line of log) {
        const text = renderLogLine(line, false, color);
        if (text !== undefined) process.stdout.write(`    ${text}\n`);
      }
    }
  }
  return installed && active === 'active' ? EXIT_OK : 1;
}
