/**
 * `oxydra gateway`: the gateway daemon in the foreground, serving this directory's workspace.
 * It listens on [gateway] bind (127.0.0.1:7700) or --bind, refuses a non-loopback address
 * unless a token was configured, logs where it listens and where the token is (never the
 * token), and on SIGTERM/SIGINT cancels running turns, closes its clients and exits (0 after
 * SIGTERM, 130 after Ctrl+C: run/interrupted.ts). It also
 * answers the enabled chat channels ([gateway] channels; run/gateway-channels.ts). Its log goes
 * to its output and to .oxydra/logs/gateway.log (`oxydra logs`).
 */
import { findWorkspaceRoot } from '@oxydra/config';
import { UsageError } from '@oxydra/types';
import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_INTERRUPTED, EXIT_OK } from '../exit-codes.js';
import { startWorkspaceGateway } from '../run/gateway-daemon.js';
import { gatewayProcessSizing, tuneGatewayHeap } from '../run/gateway-heap.js';
import { gatewayLogger, LOG_FORMATS, type LogFormat } from '../run/gateway-log.js';
import { gatewayLogFile } from '../run/gateway-log-file.js';
import { markIfInterrupt } from '../run/interrupted.js';
import { deliverScheduleResultsToChats } from '../run/schedule-chats.js';
import { webDashboardRoot } from '../run/web-root.js';
import { colorFor } from './run.js';

export interface GatewayFlags extends ConfigFlagValues {
  bind?: string;
  logFormat?: string;
}

function logFormatOf(raw: string | undefined): LogFormat {
  if (raw === undefined) return 'pretty';
  if ((LOG_FORMATS as readonly string[]).includes(raw)) return raw as LogFormat;
  throw new UsageError(`--log-format ${raw}: expected pretty or json`);
}

export async function runGateway(flags: GatewayFlags): Promise<number> {
  const format = logFormatOf(flags.logFormat);
  // First, before serving grows the heap: a long-running daemon's RSS (run/gateway-heap.ts).
  const heapFlag = tuneGatewayHeap();
  const workspace = findWorkspaceRoot();
  // Every line also goes to .oxydra/logs/gateway.log, for `oxydra logs` (run/gateway-log-file.ts).
  let file: ((line: string) => void) | undefined;
  let secrets: readonly string[] = [];
  const log = gatewayLogger(format, process.stdout, {
    color: format === 'pretty' && colorFor(process.stdout),
    debug: Boolean(process.env.OXYDRA_DEBUG),
    file: (line) => file?.(line),
    secrets: () => secrets,
  });
  file = gatewayLogFile(workspace, (message) => log('warn', message));
  const { bind, logFormat: _, ...configFlags } = flags;
  const web = webDashboardRoot();
  // Listened for before the server listens: a supervisor may stop the gateway the moment its port
  // answers or it reads the "listening" line, and a SIGTERM before the handler would kill it
  // without a clean shutdown (or the line). One during the start stops it once it is up.
  const signalled = untilSignalled();
  const daemon = await startWorkspaceGateway({
    workspace,
    flags: configFlags,
    ...(bind !== undefined ? { bind } : {}),
    ...(web ? { webRoot: web.path } : {}),
    channels: true,
    log,
    // Written as soon as the server accepts connections, before its record lets `oxydra status`
    // find it and before the scheduler's count (a later line): nothing sees the gateway first.
    listening: ({ gateway, kernel, token, channels }) => {
      const agent = kernel.describe();
      for (const { channel, botName, senders } of channels?.started ?? [])
        log('info', `${channel}: answering as ${botName}`, { allowed_sender_ids: senders });
      log('info', `listening on ${gateway.url} (WebSocket ${gateway.url.replace(/^http/, 'ws')}/ws)`, {
        workspace,
        provider: agent.providerName,
        model: agent.model.id,
        sandbox: kernel.sandbox.summary,
        ...(token.source === 'env' ? { token_from: `$${token.variable}` } : { token_file: token.file }),
        dashboard: web?.built ? `${gateway.url}/` : web ? 'not built (run npm run build)' : 'not installed',
        ...(kernel.config.a2a.serve ? { a2a_card: `${gateway.url}/.well-known/agent-card.json` } : {}),
        ...(channels ? { channels: channelsField(channels.serving) } : {}),
        scheduler: kernel.config.scheduler.enabled ? 'on' : 'off',
        ...(Object.keys(kernel.config.a2a.remotes).length > 0
          ? { a2a_remotes: Object.keys(kernel.config.a2a.remotes).join(', ') }
          : {}),
      });
    },
  });
  secrets = daemon.secrets;
  const { kernel } = daemon;
  // Its scheduler's results, for schedules that name a chat, into the channels' outbox.
  const stopChats = kernel.config.scheduler.enabled
    ? await deliverScheduleResultsToChats(kernel, (line) => log('warn', line))
    : undefined;
  try {
    if (kernel.config.scheduler.enabled) {
      const schedules = await (await kernel.service('scheduler')).list();
      const active = schedules.filter((s) => s.enabled && s.nextRunAt !== undefined).length;
      log('info', `scheduler on: ${active} active schedule${active === 1 ? '' : 's'}`);
    }
    log('debug', 'V8 heap', { heap_growing: heapFlag ?? "V8's default", ...gatewayProcessSizing() });
    await signalled;
    log(
      'info',
      daemon.channels
        ? 'shutting down: cancelling running turns; chat answers being written get 10 s to finish'
        : 'shutting down: cancelling running turns',
    );
  } finally {
    await daemon.close();
    await stopChats?.();
  }
  log('info', 'stopped');
  return EXIT_OK;
}

/** "telegram answering, slack answered elsewhere": the enabled channels, for the "listening" line. */
function channelsField(serving: readonly { channel: string; state: string }[]): string {
  return serving.map(({ channel, state }) => `${channel} ${state}`).join(', ');
}

/** Resolves on the first SIGTERM or SIGINT (exit 130 after a clean stop); a second one exits at once. */
function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    let signalled = false;
    const handler = (signal: NodeJS.Signals) => {
      markIfInterrupt(signal);
      if (signalled) process.exit(EXIT_INTERRUPTED);
      signalled = true;
      resolve();
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}
