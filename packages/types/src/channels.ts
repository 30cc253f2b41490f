/**
 * The channel contract (issue 34): what a chat platform adapter (Telegram now; Slack, Discord,
 * email or a plugin's later) offers the channel host. An adapter only speaks its platform: it
 * turns the platform's updates into `ChannelUpdate`s and carries out sends and edits. Who may
 * talk, which session a chat continues, the turn itself and what is stored are the host's
 * (`@oxydra/channels`), the same for every platform.
 *
 * Types, and the built-in platforms' names (one constant, so importing this module builds next
 * to nothing): the schema (no plugin channel takes one) and the trust rules read that one list.
 */

/** The built-in chat platforms' names: `[channels.<name>]`; a plugin's channel may not take one. */
export const BUILTIN_CHANNEL_NAMES = ['telegram', 'slack', 'discord', 'email'] as const;

/** A file or image sent with a message: what is known of it, never its bytes (not fetched here). */
export interface ChannelAttachment {
  /** The platform's id of the file (Telegram's file_id). */
  id: string;
  kind: 'photo' | 'document' | 'audio' | 'voice' | 'video' | 'other';
  mimeType?: string;
  fileName?: string;
  /** Size in bytes, when the platform says. */
  size?: number;
}

/** One message a person sent (or edited) in a chat. */
export interface ChannelMessage {
  /** The platform's id of the message, unique within its chat. */
  id: string;
  /**
   * The conversation it belongs to: the chat, plus the thread or forum topic where the platform
   * has them ("<chat>" or "<chat>:<thread>"); one session per conversation.
   */
  conversation: string;
  /** The chat to send answers to (the platform's id). */
  chatId: string;
  /** The thread or topic within the chat, when there is one. */
  threadId?: string;
  /** private: a direct chat with the bot; group: anyone else may read it. */
  chatKind: 'private' | 'group';
  sender: {
    /** The platform's stable id of the person (Telegram's numeric user id, as text). */
    id: string;
    /** A name to show (never used to decide anything). */
    name?: string;
  };
  text: string;
  /** The message this one replies to, when it is a reply. */
  replyTo?: { id: string; fromBot: boolean };
  attachments: ChannelAttachment[];
  /** True when this is an edit of an earlier message (the same id). */
  edited: boolean;
  /** Whether the message speaks to the bot: always in a private chat; in a group, a mention, a reply to the bot or a command for it. */
  addressed: boolean;
}

/** A press of a button under a question the bot asked (sendQuestion). */
export interface ChannelButtonPress {
  /** The platform's id of the press, to acknowledge it (answerButton). */
  id: string;
  conversation: string;
  chatId: string;
  sender: { id: string; name?: string };
  /** The value of the button pressed (ChannelButton.value). */
  value: string;
  /** The message the buttons were under. */
  messageId?: string;
}

/**
 * One update from the platform, with its place in the platform's order (`cursor`): the host
 * stores what it accepts and the cursor in one transaction, so a restart neither loses nor
 * repeats an update. An update the adapter does not understand is passed as `ignored`, so its
 * cursor is still committed.
 */
export type ChannelUpdate = { cursor: string } & (
  | { kind: 'message'; message: ChannelMessage }
  | { kind: 'button'; press: ChannelButtonPress }
  | { kind: 'ignored'; reason: string }
);

export interface ChannelButton {
  label: string;
  /** What the press carries back (at most 64 bytes on Telegram). */
  value: string;
}

/** Where an outbound message goes: a chat, and the thread within it when there is one. */
export interface ChannelTarget {
  chatId: string;
  threadId?: string;
}

/** What a platform lets an adapter do; the host adapts to it (no edits: the answer is sent once, at the end). */
export interface ChannelCapabilities {
  /** Sent messages can be edited (streaming by editing one message). */
  edit: boolean;
  /** The longest text of one message, in characters (Telegram: 4096). */
  maxMessageLength: number;
  /** At least this long between two edits of one chat's message (the platform's rate limit). */
  minEditIntervalMs: number;
  /** Files can be sent and received (sendFile, fetchAttachment). */
  files?: boolean;
}

/** A file to send into a chat (an answer's attachment). */
export interface ChannelFile {
  /** The name the chat shows (a base name, no folders). */
  name: string;
  bytes: Uint8Array;
  mimeType?: string;
}

/** How a send is made (Channel.send, sendFile). */
export interface ChannelSendOptions {
  /**
   * Stable across tries and restarts, unique per channel (the outbox message's key): an adapter
   * whose platform deduplicates sends passes something derived from it (with the target and the
   * text, so a key reused after the store was recreated is a different message).
   */
  idempotencyKey?: string;
}

/** A chat platform, as the channel host sees it. */
export interface Channel {
  /** The configured name ("telegram"); keys its cursor, its sessions and its log lines. */
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  /** Connects and checks the credentials; resolves with the bot's own name on the platform. */
  start(): Promise<{ botName: string }>;
  /**
   * Checks the credentials and resolves with the bot's name, changing nothing on the platform and
   * starting nothing (`oxydra channels test`). Absent: the test uses start().
   */
  probe?(): Promise<{ botName: string }>;
  /**
   * The updates after `cursor` (undefined: whatever the platform still holds), waiting up to the
   * adapter's long-poll time for some; empty when none came. Rejects on a network or platform
   * error (the host backs off and asks again). Aborting `signal` ends the wait.
   */
  receive(cursor: string | undefined, signal: AbortSignal): Promise<ChannelUpdate[]>;
  /**
   * Called once the updates up to `cursor` (the last of a receive()) are stored. A platform that
   * pushes (Slack's Events API, a Telegram webhook) acknowledges them to the platform here and not
   * before, so a crash before the store's commit has the platform deliver them again. A polling
   * platform has nothing to do (its next receive(cursor) is the acknowledgement).
   */
  acknowledge?(cursor: string): Promise<void>;
  /**
   * Sends a text message; resolves with its id. `options.idempotencyKey` (the outbox message's
   * key, the same on every try of it, also after a restart): where the platform can deduplicate
   * a send (Discord's nonce, an email's Message-ID), a second try with the key is the same message.
   */
  send(target: ChannelTarget, text: string, options?: ChannelSendOptions): Promise<{ messageId: string }>;
  /** Replaces the text of a message the bot sent (only when capabilities.edit). */
  edit(target: ChannelTarget, messageId: string, text: string): Promise<void>;
  /**
   * `text` escaped so the platform shows it as written, where messages render markup that can
   * hide or disguise part of a text (Discord's spoilers and masked links). The host passes
   * untrusted text through it where a person decides on what it says: a tool call's summary in
   * an approval question. Absent: the platform shows text as written (plain text, or markup that
   * hides nothing, such as Slack's once its `<`, `>` and `&` are escaped).
   */
  literal?(text: string): string;
  /** Sends a question with buttons; a press comes back as a `button` update. */
  sendQuestion(target: ChannelTarget, text: string, buttons: ChannelButton[]): Promise<{ messageId: string }>;
  /** Acknowledges a button press (the platform stops showing it as pending), with a short note. */
  answerButton(pressId: string, note?: string): Promise<void>;
  /** Sends a file as an attachment (only when capabilities.files); resolves with the message's id. */
  sendFile?(
    target: ChannelTarget,
    file: ChannelFile,
    caption?: string,
    options?: ChannelSendOptions,
  ): Promise<{ messageId: string }>;
  /**
   * Downloads an attachment a person sent, refusing (throwing) past `maxBytes` without reading
   * the rest (only when capabilities.files). The bytes are untrusted: the host checks them.
   */
  fetchAttachment?(attachment: ChannelAttachment, maxBytes: number, signal: AbortSignal): Promise<Uint8Array>;
  /**
   * The id of the direct-message chat with a person, from their platform id, opened on the
   * platform if need be (Slack's conversations.open, Discord's create DM). Present only where a
   * person's id does not itself name that chat: a scheduled result sent to a listed sender's id
   * goes there (`schedule add --notify slack:<user id>`).
   */
  openDirect?(userId: string): Promise<string>;
  /** Stops receiving; a pending receive() settles. */
  close(): Promise<void>;
}

/**
 * An error an adapter throws when the platform asked it to slow down or could not be reached:
 * the host waits `retryAfterMs` (or backs off) and tries again. Any other error is final.
 */
export class ChannelRetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ChannelRetryableError';
  }
}
