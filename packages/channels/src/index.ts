/**
 * @oxydra/channels: talk to agents from chat platforms. A host-level package like the gateway:
 * it is given an opened kernel and the configuration, and calls the kernel for every turn
 * (`runChannels`). Loaded only when a channel runs (`oxydra channels run`, or `oxydra gateway`
 * with a channel enabled), so `oxydra run` never loads it; each platform's library (grammY...)
 * is loaded only when its channel opens.
 */
export { answerFiles, DEFAULT_MAX_FILE_BYTES, safeFileName } from './files.js';
export { HEARTBEAT_MS, STALE_AFTER_MS } from './health.js';
export { ChannelHeldElsewhere, type HeldChannel, holdChannel, holderText } from './hold.js';
export { ChannelHost, INTERRUPTED_NOTE, MAX_PROMPT_CHARS } from './host.js';
export type { ChannelHostOptions, ChannelStatus } from './host-options.js';
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
export { enabledPluginChannels, pluginChannelOpeners, pluginChannelSection } from './plugin-channels.js';
export { ChannelTestFailure, TEST_MESSAGE, testChannel } from './probe.js';
export { RELAYED_LINE } from './relayed.js';
export { type ChannelServing, type RunChannelsOptions, type RunningChannels, runChannels } from './run.js';
export {
  checkedScheduleNotify,
  checkNotifyTarget,
  deliverScheduleResults,
  NO_CHAT,
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
