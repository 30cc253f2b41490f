/**
 * `oxydra channels run`: answers the enabled chat channels ([channels.telegram]) in the
 * foreground until Ctrl+C (or SIGTERM), with a line per channel started and one per problem.
 * It is a host like `oxydra scheduler run`: it opens the workspace's kernel and hands it to
 * @oxydra/channels, imported only here (and by `oxydra gateway` with a channel enabled), so no
 * other command loads grammY. One process answers a channel at a time: a channel another one
 * answers (the gateway, [gateway] channels) is refused naming it, exit 2.
 */
import type { ChannelReport } from '@oxydra/types';
import { UsageError, visibleControls, visibleLine } from '@oxydra/types';
import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { agentWorkspace } from '../run/load-config.js';
import { printLines } from '../run/print.js';
import { loadRunConfig, openCliKernel, openOwnedCliKernel } from '../run/spawn-flags.js';
import { stampedLog } from '../run/stamped-log.js';
import { stopSignal } from '../run/until-interrupted.js';

export async function runChannelsRun(flags: ConfigFlagValues): Promise<number> {
  // This command opens the kernel, so it alone holds the owner's grant the channels need.
  const { kernel, owner } = await openOwnedCliKernel(flags, { workspace: agentWorkspace(), host: 'channel' });
  const say = stampedLog();
  // Listened for before the first line, which a supervisor may answer with SIGTERM at once.
  const stopped = stopSignal();
  try {
    const { runChannels } = await import('@oxydra/channels');
    const running = await runChannels({ kernel, owner, log: say, role: 'oxydra channels run' });
    for (const { channel, botName, senders } of running.started) {
      say(`${channel}: answering as ${botName} (${senders} allowed sender ids; Ctrl+C stops)`);
    }
    say(
      `${await stopped}: stopping; answers being written get 10 s to finish, then are cut and their senders told`,
    );
    await running.close();
    return EXIT_OK;
  } finally {
    await kernel.close();
  }
}

/** `oxydra channels list [--json]`: each configured channel, one line each, from the configuration only. */
export async function runChannelsList(flags: ConfigFlagValues & { json?: boolean }): Promise<number> {
  const workspace = agentWorkspace();
  const config = await loadRunConfig(flags, { workspace });
  const { channelConfigs } = await import('@oxydra/channels');
  const channels = channelConfigs(config, process.env);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(channels, null, 2)}\n`);
    return EXIT_OK;
  }
  for (const c of channels) {
    process.stdout.write(
      `${c.channel}: ${c.enabled ? 'enabled' : 'disabled'}, ${plural(c.senders, 'sender')} (${plural(c.senderIds, 'platform id')}), agent ${c.agent ?? 'default'}\n`,
    );
  }
  return EXIT_OK;
}

/**
 * `oxydra channels test <channel> [--to <chat id>]`: checks the channel's secrets with its
 * platform and prints the bot's name; with --to, sends one test message there. Exit 2 on a
 * configuration mistake, 1 when the platform refuses (its words, never the token).
 */
export async function runChannelsTest(
  channel: string,
  flags: ConfigFlagValues & { to?: string },
): Promise<number> {
  const workspace = agentWorkspace();
  const config = await loadRunConfig(flags, { workspace });
  const { ChannelTestFailure, pluginChannelOpeners, testChannel } = await import('@oxydra/channels');
  // A plugin's channel is opened by its plugin, which only the kernel loads: opened for it alone.
  let kernel: Awaited<ReturnType<typeof openCliKernel>> | undefined;
  const openPluginChannel = async (name: string) => {
    kernel = await openCliKernel(flags, { workspace, host: 'channel' });
    return (await pluginChannelOpeners(kernel, [name])).get(name)!();
  };
  try {
    const result = await testChannel({ config, channel, env: process.env, to: flags.to, openPluginChannel });
    process.stdout.write(
      `${channel}: the platform accepted the credentials; the bot is ${visibleLine(result.botName)}\n`,
    );
    if (result.messageId !== undefined)
      process.stdout.write(
        `${channel}: sent a test message to chat ${flags.to} (message ${result.messageId})\n`,
      );
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof ChannelTestFailure)) throw error;
    const what = error.step === 'check' ? 'checking the credentials' : `sending to chat ${flags.to}`;
    process.stderr.write(`error: ${channel}: ${what} failed: ${visibleLine(error.message)}\n`);
    return EXIT_FAILURE;
  } finally {
    await kernel?.close();
  }
}

/** `oxydra channels status [--json]`: each configured channel, offline (see channelReports). */
export async function runChannelsStatus(flags: ConfigFlagValues & { json?: boolean }): Promise<number> {
  const workspace = agentWorkspace();
  const config = await loadRunConfig(flags, { workspace });
  const { channelReports } = await import('@oxydra/channels');
  const reports = await channelReports({ config, workspace, env: process.env });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    return EXIT_OK;
  }
  for (const r of reports) {
    const secrets =
      r.secrets.map((s) => `${s.variable} ${s.set ? 'set' : 'NOT set'}`).join(', ') ||
      'no secret variable named';
    const counts = Object.entries(r.stats.inbound).map(([status, n]) => `${n} ${status}`);
    // The health line and failures carry a platform's error text and a bot's name.
    printLines(
      `${r.channel}: ${r.enabled ? 'enabled' : 'disabled'}, ${secrets}, ${r.senderIds} allowed sender ids\n` +
        `  ${healthLine(r)}\n` +
        `  messages: ${counts.join(', ') || 'none yet'}; outbox not yet sent: ${r.stats.unsent}` +
        `${r.stats.lastReceivedAt ? `; last message ${r.stats.lastReceivedAt}` : ''}` +
        `${r.stats.cursor !== undefined ? `; cursor ${r.stats.cursor}` : ''}\n`,
    );
    if (r.failures.total > 0) {
      process.stdout.write(`  failed sends: ${r.failures.total} (latest first)\n`);
      for (const f of r.failures.recent)
        process.stdout.write(`    ${f.failedAt} chat ${visibleLine(f.chatId)}: ${visibleLine(f.error)}\n`);
    }
  }
  return EXIT_OK;
}

/** Running or not (by its heartbeat's age), as whom, since when, and the last error. */
function healthLine(r: ChannelReport): string {
  const h = r.health;
  if (!h) return 'health: never run in this workspace';
  const state = h.running
    ? `running as ${h.botName ?? '?'} (pid ${h.pid} on ${h.host}, since ${h.startedAt}; heartbeat ${h.heartbeatAgeSecs} s ago)`
    : h.stoppedAt !== undefined
      ? `not running (stopped ${h.stoppedAt})`
      : `not running (no heartbeat for ${h.heartbeatAgeSecs} s: pid ${h.pid} on ${h.host} stopped without saying)`;
  const last = [
    h.lastReceiveAt ? `last receive ${h.lastReceiveAt}` : undefined,
    h.lastSendAt ? `last send ${h.lastSendAt}` : undefined,
    h.lastError ? `last error ${h.lastErrorAt}: ${h.lastError}` : undefined,
  ].filter(Boolean);
  return `health: ${state}${last.length > 0 ? `; ${last.join('; ')}` : ''}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const USER_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * `oxydra channels pair`: with no arguments, the open pairing requests (channel, sender id, name,
 * age; the codes are stored hashed, so the sender tells the owner theirs); `pair <channel> <code>
 * [--user <user>]` lets the sender whose request has that code in, as that kernel user (default
 * "<channel>-<sender id>"); `pair --revoke <channel> <sender id>` shuts a paired sender out again.
 * A running `oxydra channels run` notices at the sender's next message.
 */
export async function runChannelsPair(
  channel: string | undefined,
  codeOrSender: string | undefined,
  flags: ConfigFlagValues & { user?: string; revoke?: boolean; json?: boolean },
): Promise<number> {
  const workspace = agentWorkspace();
  const config = await loadRunConfig(flags, { workspace });
  const {
    CHANNEL_NAMES,
    channelDbPath,
    findPairingRequest,
    openChannelStore,
    pairingStaleBefore,
    pluginChannelSection,
  } = await import('@oxydra/channels');
  const names = [...CHANNEL_NAMES, ...Object.keys(config.channels.plugin)];
  if (channel !== undefined && !names.includes(channel)) {
    throw new UsageError(`no channel named "${channel}"`, {
      hint: `use one of: ${names.join(', ')}`,
    });
  }
  if (flags.user !== undefined && !USER_ID.test(flags.user)) {
    throw new UsageError(`--user "${flags.user}" is not a user id`, {
      hint: 'use 1-128 letters, digits, ".", "_", ":", "@" or "-"',
    });
  }
  const section =
    channel !== undefined
      ? (pluginChannelSection(config, channel) ??
        (config.channels[channel as (typeof CHANNEL_NAMES)[number]] as {
          senders: { platform_ids: string[] }[];
          unknown_senders?: string;
        }))
      : undefined;
  const listed = (id: string) => section?.senders.some((s) => s.platform_ids.includes(id)) ?? false;
  const now = new Date();
  const store = openChannelStore(channelDbPath(workspace));
  try {
    if (flags.revoke) {
      if (channel === undefined || codeOrSender === undefined) {
        throw new UsageError('--revoke needs the channel and the sender id', {
          hint: 'oxydra channels pair --revoke <channel> <sender id> (`oxydra channels pair` lists them)',
        });
      }
      const removed = await store.unpair(channel, codeOrSender);
      process.stdout.write(
        removed
          ? `${channel}: sender ${codeOrSender} is no longer paired; their next message is ignored\n`
          : `${channel}: sender ${codeOrSender} was not paired\n`,
      );
      if (listed(codeOrSender))
        process.stdout.write(
          `  (still allowed: [[channels.${channel}.senders]] lists them; remove them there)\n`,
        );
      return EXIT_OK;
    }
    if (channel === undefined) {
      const requests = await store.pairingRequests(undefined, pairingStaleBefore(now));
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify(
            requests.map(({ codeHash: _, ...r }) => r),
            null,
            2,
          )}\n`,
        );
        return EXIT_OK;
      }
      if (requests.length === 0) process.stdout.write('no open pairing requests\n');
      for (const r of requests) {
        const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(r.requestedAt)) / 60_000));
        // The name (and an email sender's address) is the sender's own choice: shown as JSON text
        // so it cannot fake a line, its C1 controls and bidi marks written out (JSON keeps them).
        process.stdout.write(
          `${r.channel}  sender ${visibleControls(r.senderId)}  ${visibleControls(JSON.stringify(r.name ?? ''))}  ${minutes} min ago\n`,
        );
      }
      if (requests.length > 0)
        process.stdout.write('approve with: oxydra channels pair <channel> <the code the sender has>\n');
      return EXIT_OK;
    }
    if (codeOrSender === undefined) {
      throw new UsageError('give the code the sender was sent', {
        hint: `oxydra channels pair ${channel} <code> [--user <kernel user>]`,
      });
    }
    const request = await findPairingRequest(store, channel, codeOrSender, now);
    if (!request) {
      throw new UsageError(`no open ${channel} pairing request has that code`, {
        hint: 'codes expire after an hour; `oxydra channels pair` lists the open requests (the sender can write again for a new code)',
      });
    }
    const userId = flags.user ?? `${channel}-${request.senderId}`;
    await store.pair(
      channel,
      { senderId: request.senderId, userId, ...(request.name !== undefined ? { name: request.name } : {}) },
      now.toISOString(),
    );
    process.stdout.write(
      `${channel}: sender ${visibleControls(request.senderId)} is paired as user ${visibleControls(userId)}\n`,
    );
    if (section?.unknown_senders !== 'pair')
      process.stdout.write(
        `  note: [channels.${channel}] unknown_senders is not "pair", so paired senders are not let in until it is\n`,
      );
    return EXIT_OK;
  } finally {
    await store.close();
  }
}
