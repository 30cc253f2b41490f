/**
 * The files `oxydra service install` writes: a systemd unit running `oxydra gateway` in one
 * workspace (Linux), or the launchd job a macOS user loads themselves (printed by --dry-run).
 * Pure text: which scope, user and paths are decided by the caller (commands/service.ts).
 *
 * API keys are never written here: a unit file is readable by every local user (and a system
 * one lives in /etc). The unit reads an optional EnvironmentFile the person creates, 0600.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '@oxydra/types';

export type ServiceScope = 'user' | 'system';

export interface ServicePlan {
  scope: ServiceScope;
  /** The workspace's real path: the unit's working directory. */
  workspace: string;
  /** The absolute node and oxydra entry (run/self-command.ts): PATH does not matter. */
  command: readonly string[];
  /** --port: the gateway's --bind 127.0.0.1:<port>; unset: [gateway] bind decides. */
  port?: number;
  /** A system unit's User= (the workspace's owner); unset: the manager's own user. */
  user?: string;
  /** Where the person may put NAME=value lines (API keys) for the gateway. */
  environmentFile: string;
}

/** The line marking a unit as ours, and for which workspace (systemd allows X- keys in [Unit]). */
export const WORKSPACE_KEY = 'X-Oxydra-Workspace';

/** One name per workspace, so several workspaces each have their gateway. */
export function serviceName(workspace: string): string {
  return `oxydra-gateway-${createHash('sha256').update(workspace).digest('hex').slice(0, 10)}`;
}

/** The launchd label of the same job. */
function launchdLabel(workspace: string): string {
  return `dev.oxydra.${serviceName(workspace)}`;
}

/**
 * A value systemd reads literally: `%` starts a specifier, and in ExecStart `$` a variable and
 * `\` an escape. A line break would end the setting (and could add others): refused.
 */
function unitValue(value: string, what: string): string {
  if (/[\r\n\0]/.test(value))
    throw new UsageError(
      `${what} contains a line break, which a systemd unit cannot hold: ${JSON.stringify(value)}`,
      {
        hint: 'move the workspace (or oxydra) to a path without one',
      },
    );
  return value.replaceAll('%', '%%');
}

function execArg(value: string, what: string): string {
  const escaped = unitValue(value, what)
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('$', '$$$$');
  return `"${escaped}"`;
}

/**
 * ExecStart's program: systemd expands no variable there (so `$` stays as it is) and refuses a
 * path holding quotes or a backslash ("Executable name contains special characters").
 */
function execProgram(value: string): string {
  if (/["'\\]/.test(value))
    throw new UsageError(`systemd cannot run a program whose path holds quotes or a backslash: ${value}`, {
      hint: 'run oxydra with a node installed at a plainer path, or print the unit with --dry-run and edit it',
    });
  return `"${unitValue(value, 'the path of node')}"`;
}

function gatewayArgs(plan: Pick<ServicePlan, 'port'>): string[] {
  return ['gateway', ...(plan.port !== undefined ? ['--bind', `127.0.0.1:${plan.port}`] : [])];
}

export function systemdUnit(plan: ServicePlan): string {
  const workspace = unitValue(plan.workspace, 'the workspace path');
  const [program, ...args] = [...plan.command, ...gatewayArgs(plan)] as [string, ...string[]];
  const exec = [execProgram(program), ...args.map((arg) => execArg(arg, 'the path of oxydra'))].join(' ');
  return `# Written by \`oxydra service install\` for the workspace below; \`oxydra service uninstall\` removes it.
# API keys are not written here (anyone on this machine can read a unit): put NAME=value lines in
# ${unitValue(plan.environmentFile, 'the environment file')} (chmod 600)${plan.scope === 'user' ? ', or run `systemctl --user set-environment NAME=value`' : ''}, then restart the service.
[Unit]
Description=Oxydra gateway for ${workspace}
After=network-online.target
Wants=network-online.target
${WORKSPACE_KEY}=${workspace}

[Service]
Type=simple
WorkingDirectory=${workspace}
ExecStart=${exec}
EnvironmentFile=-${unitValue(plan.environmentFile, 'the environment file')}
${plan.user !== undefined ? `User=${unitValue(plan.user, 'the user name')}\n` : ''}Restart=on-failure
RestartSec=5
# Exit 2 is a configuration or usage mistake (an untrusted workspace, a port in use): restarting
# cannot fix it, so the unit stops; \`oxydra service status\` says where to read why.
RestartPreventExitStatus=2
# SIGTERM: the gateway cancels running turns and closes its clients, then exits 0.
TimeoutStopSec=30
# Hardening that leaves bubblewrap working (it runs commands in user namespaces, and mounts a
# fresh /proc, which the kernel refuses under ProtectKernelTunables/ProtectKernelLogs/ProtectProc:
# so those, RestrictNamespaces, PrivateUsers and MemoryDenyWriteExecute, which V8 cannot live with,
# are left out). NoNewPrivileges is safe: Debian's bwrap is not setuid.
NoNewPrivileges=yes
LockPersonality=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
${plan.scope === 'system' ? 'ProtectSystem=full\nProtectKernelModules=yes\nProtectHostname=yes\n' : ''}
[Install]
WantedBy=${plan.scope === 'system' ? 'multi-user.target' : 'default.target'}
`;
}

function xml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** The launchd job (a LaunchAgent: ~/Library/LaunchAgents/<label>.plist). */
export function launchdPlist(plan: ServicePlan): string {
  const label = launchdLabel(plan.workspace);
  const args = [...plan.command, ...gatewayArgs(plan)]
    .map((arg) => `    <string>${xml(arg)}</string>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- An Oxydra gateway (its workspace: WorkingDirectory). Save as ~/Library/LaunchAgents/${label}.plist, then:
     launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/${label}.plist
     (stop and remove: launchctl bootout gui/$(id -u)/${label}). API keys: not here; add an
     EnvironmentVariables dictionary to your copy and chmod 600 it, or use launchctl setenv. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${label}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>WorkingDirectory</key>
  <string>${xml(plan.workspace)}</string>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ProcessType</key>
  <string>Background</string>
</dict>
</plist>
`;
}
