/**
 * Slack's incoming payloads (an Events API `event_callback`, an interactivity `block_actions`, a
 * slash command) as the channel contract's updates. What speaks to the bot: a direct message (`im`), an
 * `app_mention`, or a reply in a thread the bot is in. A plain channel message that mentions the
 * bot is left to its `app_mention` event (Slack sends both), so it is taken once. Messages from
 * bots (this one included) are ignored, so two bots cannot answer each other forever. Nothing is
 * fetched: files are described by their Slack id. The payloads are untrusted: every field is
 * checked for its type before use.
 */
import type { ChannelAttachment, ChannelMessage, ChannelUpdate } from '@oxydra/types';

/** The bot itself (from auth.test), and the threads it has written in. */
export interface SlackBotIdentity {
  /** The bot's user id ("U..."), as mentions name it. */
  userId: string;
  /** The bot's bot id ("B..."), as its own messages carry it. */
  botId: string;
  /** Whether the bot has written in this thread ("<channel>:<thread_ts>"), so a reply there speaks to it. */
  inThread(channel: string, threadTs: string): boolean;
}

/** An update, and the key that makes a retry of the same delivery recognisable (Slack's event_id). */
export interface SlackIncoming {
  key: string;
  update: ChannelUpdate;
}

type Json = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/** Slack's message subtypes that are a person's message (others: joins, topics, bots, deletions). */
const PERSON_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast', 'message_changed']);

export function slackIncoming(body: unknown, bot: SlackBotIdentity): SlackIncoming {
  const payload = obj(body) ?? {};
  const type = str(payload.type);
  if (type === 'event_callback') {
    const eventId = str(payload.event_id) ?? 'event:unknown';
    return { key: eventId, update: eventUpdate(eventId, obj(payload.event) ?? {}, bot) };
  }
  if (type === 'block_actions') {
    const first = obj(Array.isArray(payload.actions) ? payload.actions[0] : undefined);
    const key = `action:${str(payload.trigger_id) ?? str(first?.action_ts) ?? 'unknown'}`;
    return { key, update: buttonUpdate(key, payload) };
  }
  if (str(payload.command) !== undefined) {
    const key = `command:${str(payload.trigger_id) ?? 'unknown'}`;
    return { key, update: commandUpdate(key, payload) };
  }
  const key = `other:${str(payload.event_id) ?? str(payload.trigger_id) ?? type}`;
  return {
    key,
    update: { cursor: key, kind: 'ignored', reason: `a payload of a kind not handled (${type})` },
  };
}

function eventUpdate(cursor: string, event: Json, bot: SlackBotIdentity): ChannelUpdate {
  const ignored = (reason: string): ChannelUpdate => ({ cursor, kind: 'ignored', reason });
  const type = str(event.type);
  if (type !== 'message' && type !== 'app_mention')
    return ignored(`an event of a kind not handled (${type})`);
  const subtype = str(event.subtype);
  if (!PERSON_SUBTYPES.has(subtype)) return ignored(`a message of subtype ${subtype}`);
  const edited = subtype === 'message_changed';
  // An edit carries the message as it is now in `message`; the channel stays on the event.
  const message = edited ? (obj(event.message) ?? {}) : event;
  const channel = str(event.channel);
  const user = str(message.user);
  const ts = str(message.ts);
  if (!channel || !ts) return ignored('a message without a channel or ts');
  if (message.bot_id !== undefined || str(message.subtype) === 'bot_message' || user === bot.userId)
    return ignored('a message from a bot');
  if (!user) return ignored('a message without a sender');
  const text = str(message.text) ?? '';
  const mention = `<@${bot.userId}>`;
  const threadTs = str(message.thread_ts);
  const direct = str(event.channel_type) === 'im' || channel.startsWith('D');
  let addressed: boolean;
  if (direct) addressed = true;
  else if (type === 'app_mention') addressed = true;
  else if (text.includes(mention)) {
    // Slack also sends this one as app_mention: taken from there, once.
    return ignored('a channel message that mentions the bot (taken from its app_mention)');
  } else
    addressed =
      threadTs !== undefined &&
      threadTs !== ts &&
      (str(message.parent_user_id) === bot.userId || bot.inThread(channel, threadTs));
  const inThread = threadTs !== undefined ? threadTs : undefined;
  const result: ChannelMessage = {
    id: ts,
    conversation: inThread !== undefined ? `${channel}:${inThread}` : channel,
    chatId: channel,
    ...(inThread !== undefined ? { threadId: inThread } : {}),
    chatKind: direct ? 'private' : 'group',
    sender: { id: user },
    // The mention that addressed the bot is not part of the question.
    text: text.split(mention).join(' ').replace(/\s+/g, ' ').trim(),
    ...(inThread !== undefined && inThread !== ts
      ? { replyTo: { id: inThread, fromBot: str(message.parent_user_id) === bot.userId } }
      : {}),
    attachments: attachmentsOf(message.files),
    edited,
    addressed,
  };
  return { cursor, kind: 'message', message: result };
}

/**
 * A slash command (`/new`, `/stop`, `/help` registered for the app): Slack's client sends a
 * message starting with "/" as one, so this is how the chat commands are typed there. It is a
 * message whose id is its trigger_id (a command has no ts), speaking to the bot where it is typed.
 */
function commandUpdate(cursor: string, payload: Json): ChannelUpdate {
  const channel = str(payload.channel_id);
  const user = str(payload.user_id);
  const command = str(payload.command) ?? '';
  if (!channel || !user || !/^\/[A-Za-z][\w-]*$/.test(command))
    return { cursor, kind: 'ignored', reason: 'a slash command without a user or channel' };
  const direct = channel.startsWith('D');
  return {
    cursor,
    kind: 'message',
    message: {
      id: cursor,
      conversation: channel,
      chatId: channel,
      chatKind: direct ? 'private' : 'group',
      sender: { id: user, ...(str(payload.user_name) ? { name: str(payload.user_name)! } : {}) },
      text: `${command} ${str(payload.text) ?? ''}`.trim(),
      attachments: [],
      edited: false,
      addressed: true,
    },
  };
}

function buttonUpdate(cursor: string, payload: Json): ChannelUpdate {
  const action = obj((Array.isArray(payload.actions) ? payload.actions : [])[0]);
  const user = str(obj(payload.user)?.id);
  const container = obj(payload.container) ?? {};
  const channel = str(obj(payload.channel)?.id) ?? str(container.channel_id);
  const value = str(action?.value);
  if (!action || !user || !channel || value === undefined)
    return { cursor, kind: 'ignored', reason: 'a button press without a user, channel or value' };
  const threadTs = str(container.thread_ts) ?? str(obj(payload.message)?.thread_ts);
  const messageTs = str(container.message_ts);
  return {
    cursor,
    kind: 'button',
    press: {
      // Everything answerButton needs to answer the presser, so it needs no memory of the press.
      id: pressId({ channel, user, ...(threadTs !== undefined ? { threadTs } : {}) }),
      conversation: threadTs !== undefined ? `${channel}:${threadTs}` : channel,
      chatId: channel,
      sender: { id: user, ...(str(obj(payload.user)?.name) ? { name: str(obj(payload.user)?.name)! } : {}) },
      value,
      ...(messageTs !== undefined ? { messageId: messageTs } : {}),
    },
  };
}

/** Who pressed, where: the id of a press, read back by answerButton. */
export interface SlackPress {
  channel: string;
  user: string;
  threadTs?: string;
}

function pressId(press: SlackPress): string {
  return [press.channel, press.user, press.threadTs ?? ''].join('|');
}

export function parsePressId(id: string): SlackPress | undefined {
  const [channel, user, threadTs] = id.split('|');
  if (!channel || !user) return undefined;
  return { channel, user, ...(threadTs ? { threadTs } : {}) };
}

const KINDS: [RegExp, ChannelAttachment['kind']][] = [
  [/^image\//, 'photo'],
  [/^audio\//, 'audio'],
  [/^video\//, 'video'],
];

function attachmentsOf(files: unknown): ChannelAttachment[] {
  if (!Array.isArray(files)) return [];
  const found: ChannelAttachment[] = [];
  for (const entry of files.slice(0, 20)) {
    const file = obj(entry);
    const id = str(file?.id);
    if (!file || !id) continue;
    const mimeType = str(file.mimetype);
    const kind =
      str(file.subtype) === 'slack_audio'
        ? 'voice'
        : (KINDS.find(([pattern]) => mimeType && pattern.test(mimeType))?.[1] ?? 'document');
    found.push({
      id,
      kind,
      ...(mimeType ? { mimeType } : {}),
      ...(str(file.name) ? { fileName: str(file.name)! } : {}),
      ...(typeof file.size === 'number' ? { size: file.size } : {}),
    });
  }
  return found;
}
