import type { FakeSocketModeOptions } from './socket-mode.js';
/** The shapes the fake Slack (fake-slack.ts) takes and gives: its options, what it records, a person's message. */

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  /** The bot's user id (mentions name it); default "U0FAKEBOT". */
  botUserId?: string;
  /** The bot's name (auth.test's `user`); default "oxydra". */
  botName?: string;
  /** Where url_private points (default: this fake); another server plays a host that is not Slack. */
  filesUrl?: string;
  /** Socket Mode's redelivery of unacknowledged envelopes (socket-mode.ts). */
  socket?: FakeSocketModeOptions;
}

/** One Web API call the app made. */
export interface SlackCall {
  method: string;
  params: Record<string, unknown>;
  ok: boolean;
  /** Slack's error code, or "http_<status>". */
  error?: string;
  /** When it came (performance.now()). */
  at: number;
}

/** A message the bot posted, with every text it had (edits). */
export interface SlackSentMessage {
  channel: string;
  ts: string;
  text: string;
  history: string[];
  threadTs?: string;
  blocks?: unknown[];
}

export interface SlackEphemeral {
  channel: string;
  user: string;
  text: string;
  threadTs?: string;
}

export interface SlackStoredFile {
  id: string;
  name: string;
  mimetype: string;
  bytes: Buffer;
  /** Where it was shared by completeUploadExternal (uploads by the app). */
  channel?: string;
  threadTs?: string;
  initialComment?: string;
}

export interface FakePersonMessage {
  user: string;
  text: string;
  /** Default: the person's direct message channel with the bot ("D" + user). */
  channel?: string;
  /** "im" for a direct message channel, else "channel". */
  channelType?: 'im' | 'channel' | 'group' | 'mpim';
  threadTs?: string;
  /** Who wrote the thread's first message (Slack's parent_user_id). */
  parentUserId?: string;
  /** Files the person attaches (from addFile). */
  files?: SlackStoredFile[];
  /** A message from a bot (bot_id set, subtype bot_message). */
  fromBot?: boolean;
}
