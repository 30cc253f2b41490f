/**
 * @oxydra/channels: talk to agents from chat platforms. A host-level package like the gateway:
 * it is given an opened kernel and the configuration, and calls the kernel for every turn
 * (`runChannels`). Loaded only when a channel runs (`oxydra channels run`), so `oxydra run`
 * never loads it or grammY.
 */
import type { Kernel } from '@oxydra/kernel';
import { UsageError } from '@oxydra/types';
import { ChannelHost, type ChannelStatus } from './host.js';
import { SenderPolicy } from './senders.js';
import { channelDbPath, openChannelStore } from './store/libsql/channel-store.js';
import { TelegramChannel } from './telegram/adapter.js';

export {
  ChannelHost,
  type ChannelHostOptions,
  type ChannelStatus,
  INTERRUPTED_NOTE,
  MAX_PROMPT_CHARS,
} from './host.js';
export { SenderPolicy } from './senders.js';
export { splitMessage } from './split.js';
export { type ChannelReport, channelReports } from './status.js';
export { channelDbPath, LibsqlChannelStore, openChannelStore } from './store/libsql/channel-store.js';
export { TelegramChannel, TelegramError } from './telegram/adapter.js';
export { EditThrottle } from './throttle.js';

export interface RunningChannels {
  /** One line per channel: its name and the bot it answers as. */
  readonly started: { channel: string; botName: string; senders: number }[];
  status(): ChannelStatus[];
  close(): Promise<void>;
}

/**
 * Starts every enabled channel of the kernel's configuration, each answering through `kernel`.
 * Bad configuration (no channel enabled, the token's variable unset) is a UsageError naming the fix.
 */
export async function runChannels(options: {
  kernel: Kernel;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}): Promise<RunningChannels> {
  const { kernel, log } = options;
  const env = options.env ?? process.env;
  const telegram = kernel.config.channels.telegram;
  if (!telegram.enabled) {
    throw new UsageError('no channel is enabled', {
      hint: 'set [channels.telegram] enabled = true and bot_token_env (see docs/channels.md)',
    });
  }
  const variable = telegram.bot_token_env!;
  const token = env[variable];
  if (!token) {
    throw new UsageError(`[channels.telegram] bot_token_env names ${variable}, which is not set`, {
      hint: `export ${variable}=<the token @BotFather gave you>`,
    });
  }
  if (telegram.agent !== undefined && !(telegram.agent in kernel.config.agents)) {
    throw new UsageError(`[channels.telegram] agent = "${telegram.agent}" is not in [agents]`, {
      hint: `define [agents.${telegram.agent}], or remove the agent key to answer with the default agent`,
    });
  }
  const senders = new SenderPolicy('telegram', telegram.senders, log);
  if (senders.size === 0) log('telegram: no [[channels.telegram.senders]] listed: every message is ignored');
  if (!kernel.sessions) log('telegram: memory is off: every message is answered without the earlier ones');
  const store = openChannelStore(channelDbPath(kernel.workspace));
  const host = new ChannelHost({
    kernel,
    channel: new TelegramChannel({
      name: 'telegram',
      token,
      apiRoot: telegram.api_root,
      pollingTimeoutSecs: telegram.polling_timeout_secs,
      maxMessageLength: telegram.max_message_length,
    }),
    store,
    senders,
    ...(telegram.agent !== undefined ? { agent: telegram.agent } : {}),
    log,
  });
  try {
    const { botName } = await host.start();
    return {
      started: [{ channel: 'telegram', botName, senders: senders.size }],
      status: () => [host.status],
      close: async () => {
        try {
          await host.close();
        } finally {
          await store.close();
        }
      },
    };
  } catch (error) {
    await host.close().catch(() => {});
    await store.close();
    throw error;
  }
}
