/**
 * The Bot API objects the fake answers with, in the shapes https://core.telegram.org/bots/api
 * publishes (only the fields the fake fills in).
 */

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
}

export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  first_name?: string;
  is_forum?: boolean;
}

export interface TgEntity {
  type: string;
  offset: number;
  length: number;
}

export interface TgDocument {
  file_id: string;
  file_unique_id: string;
  file_name?: string;
  mime_type?: string;
  file_size?: number;
}

export interface TgPhotoSize {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  file_size?: number;
}

export interface TgMessage {
  message_id: number;
  date: number;
  chat: TgChat;
  from?: TgUser;
  text?: string;
  entities?: TgEntity[];
  caption?: string;
  caption_entities?: TgEntity[];
  document?: TgDocument;
  photo?: TgPhotoSize[];
  message_thread_id?: number;
  is_topic_message?: boolean;
  reply_to_message?: TgMessage;
  edit_date?: number;
  reply_markup?: unknown;
  /** Set on a forwarded message: who wrote it first (Bot API 7's MessageOrigin). */
  forward_origin?: { type: 'hidden_user'; sender_user_name: string; date: number };
}

export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message?: TgMessage;
  chat_instance: string;
  data?: string;
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  callback_query?: TgCallbackQuery;
}

/** One Bot API call the bot made, as the fake received it. */
export interface TgCall {
  method: string;
  params: Record<string, unknown>;
  /** What the fake answered: ok, or the error code. */
  ok: boolean;
  errorCode?: number;
  /** When the fake received it, as `performance.now()` in the fake's process (for latency benches). */
  at: number;
}

/** A message the bot sent, with its text as it is now and every text it had, in order. */
export interface TgSentMessage {
  chatId: number;
  messageId: number;
  text: string;
  /** The texts it showed: the one sent, then each edit. */
  history: string[];
  threadId?: number;
  replyMarkup?: unknown;
  /** A file the bot sent (sendDocument); `text` is then its caption. */
  document?: { fileName: string; mimeType?: string; bytes: Uint8Array };
}

export interface FakeBotApiOptions {
  /** The token the bot must use; default "123456:TEST-token". */
  token?: string;
  /** The bot's username (without @); default "oxydra_test_bot". */
  username?: string;
}

/** A person writing to the bot. */
export interface FakeMessage {
  from: { id: number; first_name?: string; username?: string };
  text: string;
  /** Default: the sender's private chat with the bot. */
  chat?: { id: number; type: 'private' | 'group' | 'supergroup'; title?: string };
  /** A reply to this message of the chat (its message_id). */
  replyTo?: number;
  /** Mark "@<bot>" in the text as a mention entity (groups). */
  mentionBot?: boolean;
  /** An edit of an earlier message (its message_id) instead of a new one. */
  edits?: number;
  /** A file sent with it (`text` is then its caption): a document, or a photo (JPEG bytes). */
  file?: { bytes: Uint8Array; kind?: 'document' | 'photo'; fileName?: string; mimeType?: string };
  /** Forwarded by `from`: written first by a person of this name (a hidden user's forward). */
  forwardedFrom?: string;
}
