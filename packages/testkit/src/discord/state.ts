/**
 * What the fake Discord holds, for its REST side (rest.ts) and its people's side (fake-discord.ts)
 * alike: the snowflake clock, every channel's messages, what the bot sent, the files (served under
 * /cdn), DM channels and the interactions waiting for their callback.
 */
import type { DcAttachment, DcMessage, DcSentMessage, DcUser, FakeFile } from './types.js';

const DISCORD_EPOCH = 1_420_070_400_000n;
/** How long an enforced nonce holds ("the past few minutes", Discord says). */
const NONCE_WINDOW_MS = 5 * 60_000;

export class DiscordState {
  readonly sent = new Map<string, DcSentMessage>();
  /** Files by "<channel>/<attachment id>/<name>". */
  readonly files = new Map<string, FakeFile>();
  /** Interaction id → its token, until answered. */
  readonly interactions = new Map<string, string>();
  readonly #messages = new Map<string, DcMessage[]>();
  readonly #dmChannels = new Map<string, string>();
  /** "<channel>\n<author>\n<nonce>" → the message created with it, and when. */
  readonly #nonces = new Map<string, { id: string; at: number }>();
  #lastSnowflake = 0n;

  /** `url`: the fake's base (known once it listens). */
  constructor(private readonly url: () => string) {}

  /** A new snowflake, later than every one before (Discord's ids grow with time). */
  snowflake(): string {
    let next = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
    if (next <= this.#lastSnowflake) next = this.#lastSnowflake + 1n;
    this.#lastSnowflake = next;
    return String(next);
  }

  /** The DM channel between the bot and a user (made on first use, as Discord does). */
  dmChannel(userId: string): string {
    let id = this.#dmChannels.get(userId);
    if (id === undefined) {
      id = this.snowflake();
      this.#dmChannels.set(userId, id);
    }
    return id;
  }

  /** A channel's messages, oldest first. */
  history(channelId: string): DcMessage[] {
    let list = this.#messages.get(channelId);
    if (!list) {
      list = [];
      this.#messages.set(channelId, list);
    }
    return list;
  }

  /**
   * The message `author` created in `channelId` with `nonce` within the last few minutes, when it
   * is still there: a create with the same nonce and enforce_nonce answers with it (Discord's rule).
   */
  nonced(channelId: string, authorId: string, nonce: string): DcMessage | undefined {
    const seen = this.#nonces.get(`${channelId}\n${authorId}\n${nonce}`);
    if (!seen || Date.now() - seen.at > NONCE_WINDOW_MS) return undefined;
    return this.history(channelId).find((m) => m.id === seen.id);
  }

  /** Remembers the nonce a message was created with (see nonced). */
  rememberNonce(channelId: string, authorId: string, nonce: string, id: string): void {
    this.#nonces.set(`${channelId}\n${authorId}\n${nonce}`, { id, at: Date.now() });
  }

  /** Keeps a file, served at the attachment's url. */
  attach(channelId: string, file: FakeFile): DcAttachment {
    const id = this.snowflake();
    this.files.set(`${channelId}/${id}/${file.name}`, file);
    const url = `${this.url()}/cdn/attachments/${channelId}/${id}/${encodeURIComponent(file.name)}`;
    return {
      id,
      filename: file.name,
      size: file.bytes.byteLength,
      url,
      proxy_url: url,
      ...(file.contentType ? { content_type: file.contentType } : {}),
    };
  }
}

/** A Discord message (API v10) with nothing in it yet: what the fake builds its messages on (a test may too). */
export function messageBase(id: string, channelId: string, author: DcUser): DcMessage {
  return {
    id,
    channel_id: channelId,
    author,
    content: '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
  };
}
