/**
 * What `oxydra channels status` says of each configured channel, offline: whether it is enabled
 * and has its token variable, how many sender ids may talk, and from `.oxydra/channels.db` its
 * cursor, its messages by status and its outbox not yet sent. It asks no platform anything and
 * never prints the token.
 */
import { existsSync } from 'node:fs';
import type { AgentConfig, ChannelStats } from '@oxydra/types';
import { channelDbPath, openChannelStore } from './store/libsql/channel-store.js';

export interface ChannelReport {
  channel: string;
  enabled: boolean;
  tokenVariable?: string;
  /** Whether the token variable is set (its value is never read out). */
  tokenSet: boolean;
  senderIds: number;
  stats: ChannelStats;
}

export async function channelReports(options: {
  config: AgentConfig;
  workspace: string;
  env: NodeJS.ProcessEnv;
}): Promise<ChannelReport[]> {
  const telegram = options.config.channels.telegram;
  const path = channelDbPath(options.workspace);
  // Status never creates the file: a channel that never ran has nothing stored.
  const store = existsSync(path) ? openChannelStore(path) : undefined;
  try {
    const variable = telegram.bot_token_env;
    return [
      {
        channel: 'telegram',
        enabled: telegram.enabled,
        ...(variable !== undefined ? { tokenVariable: variable } : {}),
        tokenSet: variable !== undefined && Boolean(options.env[variable]),
        senderIds: telegram.senders.reduce((n, s) => n + s.platform_ids.length, 0),
        stats: store ? await store.stats('telegram') : { inbound: {}, unsent: 0 },
      },
    ];
  } finally {
    await store?.close();
  }
}
