/**
 * What `oxydra channels status` says of each configured channel, offline: whether it is enabled
 * and has its token variable, how many sender ids may talk, and from `.oxydra/channels.db` its
 * cursor, its messages by status and its outbox not yet sent. It asks no platform anything and
 * never prints the token.
 */
import { existsSync } from 'node:fs';
import type { AgentConfig, ChannelStats } from '@oxydra/types';
import { CHANNEL_NAMES, CHANNEL_PLATFORMS, type ChannelPlatform, type ChannelSection } from './platforms.js';
import { channelDbPath, openChannelStore } from './store/libsql/channel-store.js';

export interface ChannelReport {
  channel: string;
  enabled: boolean;
  /** The variables holding the channel's secrets, and whether each is set (a value is never read out). */
  secrets: { key: string; variable: string; set: boolean }[];
  senderIds: number;
  stats: ChannelStats;
}

export async function channelReports(options: {
  config: AgentConfig;
  workspace: string;
  env: NodeJS.ProcessEnv;
}): Promise<ChannelReport[]> {
  const path = channelDbPath(options.workspace);
  // Status never creates the file: a channel that never ran has nothing stored.
  const store = existsSync(path) ? openChannelStore(path) : undefined;
  try {
    const reports: ChannelReport[] = [];
    for (const name of CHANNEL_NAMES) {
      const section = options.config.channels[name] as ChannelSection;
      const platform = CHANNEL_PLATFORMS[name] as ChannelPlatform<ChannelSection>;
      reports.push({
        channel: name,
        enabled: section.enabled,
        secrets: platform
          .secretVariables(section)
          .map((s) => ({ ...s, set: Boolean(options.env[s.variable]) })),
        senderIds: section.senders.reduce((n, s) => n + s.platform_ids.length, 0),
        stats: store ? await store.stats(name) : { inbound: {}, unsent: 0 },
      });
    }
    return reports;
  } finally {
    await store?.close();
  }
}
