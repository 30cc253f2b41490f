/**
 * Telegram's updates as the channel contract's: a message (or an edit of one) with its text,
 * sender, chat and attachments' metadata, or a button press. Nothing is fetched: an attachment
 * is only described (its file id, kind, type and size); links in the text stay text. A forwarded
 * message's text is marked as someone else's (relayed.ts).
 */
import type { ChannelAttachment, ChannelMessage, ChannelUpdate } from '@oxydra/types';
import type { Message, Update } from 'grammy/types';
import { relayedText } from '../relayed.js';

/** The bot itself, for telling whether a group message speaks to it. */
export interface BotIdentity {
  id: number;
  username: string;
}

export function channelUpdate(update: Update, bot: BotIdentity): ChannelUpdate {
  const cursor = String(update.update_id);
  const message = update.message ?? update.edited_message;
  if (message) {
    if (!message.from)
      return { cursor, kind: 'ignored', reason: 'a message without a sender (a channel post)' };
    if (message.from.is_bot) return { cursor, kind: 'ignored', reason: 'a message from a bot' };
    return {
      cursor,
      kind: 'message',
      message: channelMessage(message, bot, update.edited_message !== undefined),
    };
  }
  const query = update.callback_query;
  if (query) {
    const chat = query.message?.chat;
    if (!chat || query.data === undefined)
      return { cursor, kind: 'ignored', reason: 'a button press without data' };
    const thread =
      query.message && 'message_thread_id' in query.message ? query.message.message_thread_id : undefined;
    return {
      cursor,
      kind: 'button',
      press: {
        id: query.id,
        conversation: conversationOf(chat.id, thread),
        chatId: String(chat.id),
        sender: { id: String(query.from.id), ...nameOf(query.from) },
        value: query.data,
        ...(query.message ? { messageId: String(query.message.message_id) } : {}),
      },
    };
  }
  return {
    cursor,
    kind: 'ignored',
    reason: `an update of a kind not handled (${Object.keys(update).join(', ')})`,
  };
}

function channelMessage(message: Message, bot: BotIdentity, edited: boolean): ChannelMessage {
  const from = message.from!;
  const own = message.text ?? message.caption ?? '';
  // A forward (or an inline bot's post) carries another's words under the sender's id.
  const relayed = message.forward_origin !== undefined || message.via_bot !== undefined;
  const text = relayed && own !== '' ? relayedText(own) : own;
  const thread = message.is_topic_message ? message.message_thread_id : undefined;
  const privateChat = message.chat.type === 'private';
  const reply = message.reply_to_message;
  const replyTo = reply ? { id: String(reply.message_id), fromBot: reply.from?.id === bot.id } : undefined;
  return {
    id: String(message.message_id),
    conversation: conversationOf(message.chat.id, thread),
    chatId: String(message.chat.id),
    ...(thread !== undefined ? { threadId: String(thread) } : {}),
    chatKind: privateChat ? 'private' : 'group',
    sender: { id: String(from.id), ...nameOf(from) },
    text,
    ...(replyTo ? { replyTo } : {}),
    attachments: attachmentsOf(message),
    edited,
    addressed: privateChat || replyTo?.fromBot === true || mentions(message, own, bot),
  };
}

/** One session per chat, and per forum topic within a chat (Oxydra's "<chat>" or "<chat>:<thread>"). */
function conversationOf(chatId: number, thread: number | undefined): string {
  return thread === undefined ? String(chatId) : `${chatId}:${thread}`;
}

function nameOf(user: { first_name: string; last_name?: string; username?: string }): { name?: string } {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ') || user.username;
  return name ? { name } : {};
}

/** A group message speaks to the bot when it mentions @bot or is a command addressed to it (/new@bot). */
function mentions(message: Message, text: string, bot: BotIdentity): boolean {
  const entities = message.entities ?? message.caption_entities ?? [];
  const handle = `@${bot.username}`.toLowerCase();
  return entities.some((entity) => {
    const value = text.slice(entity.offset, entity.offset + entity.length).toLowerCase();
    if (entity.type === 'mention') return value === handle;
    if (entity.type === 'bot_command') return value.endsWith(handle);
    return entity.type === 'text_mention' && entity.user.id === bot.id;
  });
}

function attachmentsOf(message: Message): ChannelAttachment[] {
  const found: ChannelAttachment[] = [];
  const photo = message.photo?.at(-1); // the largest size
  if (photo) found.push({ id: photo.file_id, kind: 'photo', ...sized(photo.file_size) });
  const files: [
    ChannelAttachment['kind'],
    { file_id: string; file_size?: number; mime_type?: string; file_name?: string } | undefined,
  ][] = [
    ['document', message.document],
    ['audio', message.audio],
    ['voice', message.voice],
    ['video', message.video],
  ];
  for (const [kind, file] of files) {
    if (!file) continue;
    found.push({
      id: file.file_id,
      kind,
      ...(file.mime_type ? { mimeType: file.mime_type } : {}),
      ...(file.file_name ? { fileName: file.file_name } : {}),
      ...sized(file.file_size),
    });
  }
  return found;
}

const sized = (size: number | undefined) => (size !== undefined ? { size } : {});
