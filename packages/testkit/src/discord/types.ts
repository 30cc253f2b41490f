/**
 * The Discord API v10 objects the fake answers with, in the shapes
 * https://discord.com/developers/docs publishes (only the fields the fake fills in).
 */

export interface DcUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: string | null;
  bot?: boolean;
}

export interface DcAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
}

export interface DcMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: DcUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: DcUser[];
  mention_roles: string[];
  attachments: DcAttachment[];
  embeds: unknown[];
  pinned: boolean;
  type: number;
  flags?: number;
  components?: unknown[];
  /** The nonce the sender gave (returned as given). */
  nonce?: string | number;
  message_reference?: { message_id: string; channel_id: string; guild_id?: string };
  referenced_message?: DcMessage | null;
}

/** One gateway payload (op, d, s, t), JSON encoding. */
export interface DcGatewayPayload {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

/** One REST call the bot made, as the fake received it. */
export interface DcCall {
  method: string;
  /** The path after /api/v10 (or /cdn for a download). */
  path: string;
  body: unknown;
  status: number;
}

/** A message the bot sent, with its text as it is now and every text it had, in order. */
export interface DcSentMessage {
  channelId: string;
  id: string;
  content: string;
  /** The texts it showed: the one sent, then each edit. */
  history: string[];
  components?: unknown[];
  /** Files sent with it: name, type and bytes as received. */
  files: { name: string; contentType?: string; bytes: Uint8Array }[];
  /** What it asked Discord to do with mentions (the bot's answers should mention nobody). */
  allowedMentions?: unknown;
  flags?: number;
}

/** A button press's acknowledgement (POST /interactions/{id}/{token}/callback). */
export interface DcInteractionCallback {
  interactionId: string;
  type: number;
  data?: unknown;
}
export interface FakeDiscordOptions {
  /** The token the bot must use; default "fake-discord-token". */
  token?: string;
  /** The bot's username; default "oxydra_test_bot". */
  username?: string;
}

/** A file a person attaches, or the bot uploads. */
export interface FakeFile {
  name: string;
  bytes: Uint8Array;
  contentType?: string;
}

/** A person writing. */
export interface FakeDiscordMessage {
  author: { id: string; username?: string };
  content: string;
  /** A server channel (with its guild); default: the author's DM channel with the bot. */
  channel?: { id: string; guildId: string };
  /** Mention the bot (`<@bot id>` is put first in the content, and the bot is in `mentions`). */
  mentionBot?: boolean;
  /** A reply to this message of the channel (its id). */
  replyTo?: string;
  files?: FakeFile[];
}
