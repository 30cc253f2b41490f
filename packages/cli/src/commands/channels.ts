/**
 * `oxydra channels run`: answers the enabled chat channels ([channels.telegram]) in the
 * foreground until Ctrl+C (or SIGTERM), with a line per channel started and one per problem.
 * It is a host like `oxydra scheduler run`: it opens the workspace's kernel and hands it to
 * @oxydra/channels, imported only here, so no other command loads grammY. Several processes
 * must not poll one bot (Telegram answers the second poll with 409): run it once per bot.
 */
import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_OK } from '../exit-codes.js';
import { openCliKernel } from '../run/spawn-flags.js';
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
