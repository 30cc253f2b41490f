/**
 * What `oxydra channels list|status`, the gateway's GET /api/v1/channels and the dashboard say of
 * each configured channel: from the configuration, whether it is enabled, its secrets' variables
 * (set or not; a value is never read out), its senders and agent; from `.oxydra/channels.db`, its
 * cursor, messages by status, outbox, health (running or not, by the age of its heartbeat) and
 * the sends given up on. It asks no platform anything and never creates the database.
 */
import { existsSync } from 'node:fs';
import { stateStanding } from '@oxydra/kernel/local-db';
import type { AgentConfig, ChannelReport, ChannelStore } from '@oxydra/types';
import { STALE_AFTER_MS } from './health.js';
import { CHANNEL_NAMES, CHANNEL_PLATFORMS, type ChannelPlatform, type ChannelSection } from './platforms.js';
import { channelDbPath, openChannelStore } from './store/libsql/channel-store.js';

export type { ChannelReport } from '@oxydra/types';

/** How many given-up sends a report lists (the newest); the total is counted. */
export const RECENT_FAILURES = 10;

/** A channel as configured, without anything stored (`oxydra channels list`). */
export type ChannelConfigReport = Omit<ChannelReport, 'stats' | 'health' | 'failures'>;

export function channelConfigs(config: AgentConfig, env: NodeJS.ProcessEnv): ChannelConfigReport[] {
  // A plugin channel's secrets are its plugin's config, which Oxydra does not read out.
  const fromPlugins = Object.entries(config.channels.plugin).map(([name, section]) => ({
    channel: name,
    enabled: section.enabled,
    secrets: [],
    senders: section.senders.length,
    senderIds: section.senders.reduce((n, s) => n + s.platform_ids.length, 0),
    ...(section.agent !== undefined ? { agent: section.agent } : {}),
  }));
  const builtin = CHANNEL_NAMES.map((name) => {
    const section = config.channels[name] as ChannelSection;
    const platform = CHANNEL_PLATFORMS[name] as ChannelPlatform<ChannelSection>;
    return {
      channel: name,
      enabled: section.enabled,
      secrets: platform.secretVariables(section).map((s) => ({ ...s, set: Boolean(env[s.variable]) })),
      senders: section.senders.length,
      senderIds: section.senders.reduce((n, s) => n + s.platform_ids.length, 0),
      ...(section.agent !== undefined ? { agent: section.agent } : {}),
    };
  });
  return [...builtin, ...fromPlugins];
}

export async function channelReports(options: {
  config: AgentConfig;
  workspace: string;
  env: NodeJS.ProcessEnv;
  /** The time the heartbeat's age is taken at; default now. */
  now?: number;
}): Promise<ChannelReport[]> {
  const path = channelDbPath(options.workspace);
  // Never creates the file: a channel that never ran has nothing stored. One that came with the
  // folder is not read (the next channel host sets it aside): its counts are not this user's.
  const store =
    existsSync(path) && stateStanding(path, options.env).standing === 'ours'
      ? openChannelStore(path, options.env)
      : undefined;
  try {
    const reports: ChannelReport[] = [];
    for (const configured of channelConfigs(options.config, options.env)) {
      reports.push({
        ...configured,
        ...(await stored(store, configured.channel, options.now ?? Date.now())),
      });
    }
    return reports;
  } finally {
    await store?.close();
  }
}

async function stored(
  store: ChannelStore | undefined,
  name: string,
  now: number,
): Promise<Pick<ChannelReport, 'stats' | 'health' | 'failures'>> {
  if (!store) return { stats: { inbound: {}, unsent: 0 }, failures: { total: 0, recent: [] } };
  const health = await store.health(name);
  const ageMs = health ? Math.max(0, now - Date.parse(health.heartbeatAt)) : 0;
  return {
    stats: await store.stats(name),
    ...(health
      ? {
          health: {
            ...health,
            running: health.stoppedAt === undefined && ageMs <= STALE_AFTER_MS,
            heartbeatAgeSecs: Math.round(ageMs / 1000),
          },
        }
      : {}),
    failures: await store.failures(name, RECENT_FAILURES),
  };
}
