/**
 * What `oxydra channels status`, GET /api/v1/channels and the dashboard's Channels page report of
 * each configured channel: its configuration, and what the channel database holds of it.
 */
import type { ChannelFailure, ChannelHealth } from './channel-health.js';
import type { ChannelStats } from './channels.js';

/** What `oxydra channels status` and GET /api/v1/channels say of one configured channel. */
export interface ChannelReport {
  channel: string;
  enabled: boolean;
  /** The variables holding the channel's secrets, and whether each is set (a value is never read out). */
  secrets: { key: string; variable: string; set: boolean }[];
  /** Listed senders (`[[channels.<name>.senders]]`) and the platform ids they have in all. */
  senders: number;
  senderIds: number;
  /** The `[agents.<name>]` answering; unset: the default agent. */
  agent?: string;
  stats: ChannelStats;
  /** Absent: no process has answered the channel in this workspace. */
  health?: ChannelHealth & {
    /** A heartbeat younger than a few intervals and no clean stop. */
    running: boolean;
    heartbeatAgeSecs: number;
  };
  /** Sends given up on: how many in all, and the latest first. */
  failures: { total: number; recent: ChannelFailure[] };
}
