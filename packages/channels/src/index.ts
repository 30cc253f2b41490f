/**
 * @oxydra/channels: talk to agents from chat platforms. A host-level package like the gateway:
 * it is given an opened kernel and the configuration, and calls the kernel for every turn
 * (`runChannels`). Loaded only when a channel runs (`oxydra channels run`), so `oxydra run`
 * never loads it; each platform's library (grammY...) is loaded only when its channel opens.
 */
import type { Kernel } from '@oxydra/kernel';
import { type Channel, UsageError } from '@oxydra/types';
import { ChannelHost, type ChannelStatus } from './host.js';
import { CHANNEL_NAMES, CHANNEL_PLATFORMS, type ChannelPlatform, type ChannelSection } from './platforms.js';
import { SenderPolicy } from './senders.js';
import { channelDbPath, openChannelStore } from './store/libsql/channel-store.js';

export { answerFiles, DEFAULT_MAX_FILE_BYTES, INBOX_DIR, safeFileName } from './files.js';
export { HEARTBEAT_MS, STALE_AFTER_MS } from './health.js';
export {
  ChannelHost,
  type ChannelHostOptions,
  type ChannelStatus,
  INTERRUPTED_NOTE,
  MAX_PROMPT_CHARS,
} from './host.js';
export {
  findPairingRequest,
  hashPairingCode,
  MAX_PENDING_PAIRINGS,
  PAIRING_TTL_MS,
  pairingCodeMatches,
  pairingStaleBefore,
} from './pairing.js';
export {
  CHANNEL_NAMES,
  CHANNEL_PLATFORMS,
  type ChannelPlatform,
  type ChannelSection,
  requireSecret,
} from './platforms.js';
export { ChannelTestFailure, TEST_MESSAGE, testChannel } from './probe.js';
export {
  checkedScheduleNotify,
  checkNotifyTarget,
  deliverScheduleResults,
  parseNotifyTarget,
  resultText,
  saveScheduleNotify,
} from './schedule-results.js';
export { SenderPolicy } from './senders.js';
export { splitMessage } from './split.js';
export {
  type ChannelConfigReport,
  type ChannelReport,
  channelConfigs,
  channelReports,
  RECENT_FAILURES,
} from './status.js';
export { channelDbPath, LibsqlChannelStore, openChannelStore } from './store/libsql/channel-store.js';
export { EditThrottle } from './throttle.js';
export { STREAMING_MARK } from './turn.js';

export interface RunningChannels {
  /** One line per channel: its name and the bot it answers as. */
  readonly started: { channel: string; botName: string; senders: number }[];
  status(): ChannelStatus[];
  close(): Promise<void>;
}

/**
 * Starts every enabled channel of the kernel's configuration, each answering through `kernel`.
 * Bad configuration (no channel enabled, a secret's variable unset) is a UsageError naming the fix.
 */
export async function runChannels(options: {
  kernel: Kernel;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}): Promise<RunningChannels> {
  const { kernel, log } = options;
  const env = options.env ?? process.env;
  const enabled = CHANNEL_NAMES.filter((name) => kernel.config.channels[name].enabled);
  if (enabled.length === 0) {
    throw new UsageError('no channel is enabled', {
      hint: `set enabled = true in one of ${CHANNEL_NAMES.map((n) => `[channels.${n}]`).join(', ')} (see docs/channels.md)`,
    });
  }
  // Every channel's configuration is checked before any connects.
  const opened: { name: string; channel: Channel; section: ChannelSection }[] = [];
  for (const name of enabled) {
    const section = kernel.config.channels[name] as ChannelSection;
    if (section.agent !== undefined && !(section.agent in kernel.config.agents)) {
      throw new UsageError(`[channels.${name}] agent = "${section.agent}" is not in [agents]`, {
        hint: `define [agents.${section.agent}], or remove the agent key to answer with the default agent`,
      });
    }
    const platform = CHANNEL_PLATFORMS[name] as ChannelPlatform<ChannelSection>;
    opened.push({ name, section, channel: await platform.open(name, section, env) });
  }
  if (!kernel.sessions) log('channels: memory is off: every message is answered without the earlier ones');
  const store = openChannelStore(channelDbPath(kernel.workspace));
  const hosts: ChannelHost[] = [];
  const started: RunningChannels['started'] = [];
  try {
    for (const { name, channel, section } of opened) {
      const unknown = section.unknown_senders ?? 'ignore';
      const senders = new SenderPolicy(name, section.senders, log, unknown);
      if (senders.size === 0 && unknown === 'ignore')
        log(`${name}: no [[channels.${name}.senders]] listed: every message is ignored`);
      const host = new ChannelHost({
        kernel,
        channel,
        store,
        senders,
        ...(section.agent !== undefined ? { agent: section.agent } : {}),
        log,
        workspace: kernel.workspace,
        ...(kernel.config.tools.vault_path !== undefined
          ? { vaultPath: kernel.config.tools.vault_path }
          : {}),
        ...(section.max_file_bytes !== undefined ? { maxFileBytes: section.max_file_bytes } : {}),
      });
      hosts.push(host);
      const { botName } = await host.start();
      started.push({ channel: name, botName, senders: senders.size });
    }
  } catch (error) {
    await Promise.allSettled(hosts.map((host) => host.close()));
    await store.close();
    throw error;
  }
  return {
    started,
    status: () => hosts.map((host) => host.status),
    close: async () => {
      try {
        await Promise.allSettled(hosts.map((host) => host.close()));
      } finally {
        await store.close();
      }
    },
  };
}
