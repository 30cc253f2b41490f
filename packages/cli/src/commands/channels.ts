/**
 * `oxydra channels run`: answers the enabled chat channels ([channels.telegram]) in the
 * foreground until Ctrl+C (or SIGTERM), with a line per channel started and one per problem.
 * It is a host like `oxydra scheduler run`: it opens the workspace's kernel and hands it to
 * @oxydra/channels, imported only here, so no other command loads grammY. Several processes
 * must not poll one bot (Telegram answers the second poll with 409): run it once per bot.
 */
import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_OK } from '../exit-codes.js';
import { loadRunConfig, openCliKernel } from '../run/spawn-flags.js';
import { stopSignal } from '../run/until-interrupted.js';
import { agentWorkspace } from '../run/workspace.js';

export async function runChannelsRun(flags: ConfigFlagValues): Promise<number> {
  const kernel = await openCliKernel(flags, { workspace: agentWorkspace(), host: 'channel' });
  const say = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  // Listened for before the first line, which a supervisor may answer with SIGTERM at once.
  const stopped = stopSignal();
  try {
    const { runChannels } = await import('@oxydra/channels');
    const running = await runChannels({ kernel, log: say });
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
    process.stdout.write(
      `${r.channel}: ${r.enabled ? 'enabled' : 'disabled'}, ${secrets}, ${r.senderIds} allowed sender ids\n` +
        `  messages: ${counts.join(', ') || 'none yet'}; outbox not yet sent: ${r.stats.unsent}` +
        `${r.stats.lastReceivedAt ? `; last message ${r.stats.lastReceivedAt}` : ''}` +
        `${r.stats.cursor !== undefined ? `; cursor ${r.stats.cursor}` : ''}\n`,
    );
  }
  return EXIT_OK;
}
