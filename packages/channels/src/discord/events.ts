/**
 * Discord's gateway dispatches and REST messages (API v10, raw JSON as Discord publishes them)
 * as the channel contract's updates: MESSAGE_CREATE / MESSAGE_UPDATE (and a message fetched
 * when catching up) → `message`, INTERACTION_CREATE of a button → `button`, anything else →
 * `ignored`. Nothing is fetched here: an attachment is only described (its CDN address, type,
 * name and size); links in the text stay text. The cursor is the adapter's (cursor.ts).
 */
import type { ChannelAttachment, ChannelButtonPress, ChannelMessage } from '@oxydra/types';
import type { APIAttachment, APIInteraction, APIMessage, APIUser, GatewayDispatchPayload } from 'discord.js';

/** The bot itself, for telling whether a guild message speaks to it. */
export interface BotIdentity {
  id: string;
  username: string;
}

/** An update before the adapter gives it its cursor; a press keeps its token apart (never stored). */
export type DiscordEvent =
  | { kind: 'message'; message: ChannelMessage }
  | { kind: 'button'; press: ChannelButtonPress; token: string }
  | { kind: 'ignored'; reason: string };

/** Discord's message type 0 (DEFAULT) and 19 (REPLY) carry what a person wrote; the rest are system notes. */
const PERSON_MESSAGE_TYPES = new Set([0, 19]);
/** INTERACTION_CREATE type 3: a press of a message component (a button). */
const MESSAGE_COMPONENT = 3;
/** Component type 2: a button. */
const BUTTON = 2;

export function discordEvent(dispatch: GatewayDispatchPayload, bot: BotIdentity): DiscordEvent {
  switch (dispatch.t) {
    case 'MESSAGE_CREATE':
      // A dispatch from a server carries guild_id; a direct message does not.
      return messageEvent(dispatch.d, bot, false, dispatch.d.guild_id === undefined);
    case 'MESSAGE_UPDATE':
      // An edit carries the whole message (API v10); one without content (an embed resolving) is no edit by a person.
      return (dispatch.d as Partial<APIMessage>).content === undefined
        ? { kind: 'ignored', reason: 'a message update without content' }
        : messageEvent(dispatch.d as APIMessage, bot, true, dispatch.d.guild_id === undefined);
    case 'INTERACTION_CREATE':
      return buttonEvent(dispatch.d as APIInteraction);
    default:
      return { kind: 'ignored', reason: `a ${dispatch.t} dispatch` };
  }
}

/** A message as the contract's, or ignored when a bot (this one included) or the system wrote it. */
export function messageEvent(
  message: APIMessage,
  bot: BotIdentity,
  edited: boolean,
  direct: boolean,
): DiscordEvent {
  if (!message.author) return { kind: 'ignored', reason: 'a message without an author' };
  // Bots' messages (and webhooks') are never answered: two bots would answer each other forever.
  if (message.author.bot || message.webhook_id !== undefined)
    return { kind: 'ignored', reason: 'a message from a bot or a webhook' };
  if (!PERSON_MESSAGE_TYPES.has(message.type))
    return { kind: 'ignored', reason: `a system message (type ${message.type})` };
  const reply = message.referenced_message;
  const replyTo = reply
    ? { id: reply.id, fromBot: reply.author.id === bot.id }
    : message.message_reference?.message_id !== undefined
      ? { id: message.message_reference.message_id, fromBot: false }
      : undefined;
  const mentioned = (message.mentions ?? []).some((user) => user.id === bot.id);
  return {
    kind: 'message',
    message: {
      id: message.id,
      // A thread is a channel of its own (its own id), so it is its own conversation.
      conversation: message.channel_id,
      chatId: message.channel_id,
      chatKind: direct ? 'private' : 'group',
      sender: { id: message.author.id, ...nameOf(message.author) },
      text: readableMentions(message.content ?? '', bot),
      ...(replyTo ? { replyTo } : {}),
      attachments: (message.attachments ?? []).map(attachmentOf),
      edited,
      addressed: direct || mentioned || replyTo?.fromBot === true,
    },
  };
}

function buttonEvent(interaction: APIInteraction): DiscordEvent {
  if (interaction.type !== MESSAGE_COMPONENT)
    return { kind: 'ignored', reason: `an interaction of type ${interaction.type}` };
  const data = interaction.data as { component_type?: number; custom_id?: string } | undefined;
  const user = interaction.member?.user ?? interaction.user;
  const channelId = interaction.channel?.id ?? interaction.channel_id;
  if (data?.component_type !== BUTTON || data.custom_id === undefined || !user || channelId === undefined)
    return { kind: 'ignored', reason: 'a component interaction that is not a button press' };
  return {
    kind: 'button',
    token: interaction.token,
    press: {
      id: interaction.id,
      conversation: channelId,
      chatId: channelId,
      sender: { id: user.id, ...nameOf(user) },
      value: data.custom_id,
      ...(interaction.message ? { messageId: interaction.message.id } : {}),
    },
  };
}

/** The bot's mention `<@id>` (or the older `<@!id>`) reads as "@name", which the host removes from a prompt. */
function readableMentions(content: string, bot: BotIdentity): string {
  return content
    .split(`<@!${bot.id}>`)
    .join(`@${bot.username}`)
    .split(`<@${bot.id}>`)
    .join(`@${bot.username}`);
}

function nameOf(user: Pick<APIUser, 'username' | 'global_name'>): { name?: string } {
  const name = user.global_name || user.username;
  return name ? { name } : {};
}

/** The attachment's CDN address is its id: it is what fetches it (only from Discord's hosts, see the adapter). */
function attachmentOf(attachment: APIAttachment): ChannelAttachment {
  const type = attachment.content_type;
  return {
    id: attachment.url,
    kind: kindOf(type),
    ...(type ? { mimeType: type } : {}),
    fileName: attachment.filename,
    size: attachment.size,
  };
}

function kindOf(type: string | undefined): ChannelAttachment['kind'] {
  if (type?.startsWith('image/')) return 'photo';
  if (type?.startsWith('audio/')) return 'audio';
  if (type?.startsWith('video/')) return 'video';
  return type ? 'document' : 'other';
}
