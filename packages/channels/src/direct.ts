/**
 * Messages addressed to a person rather than a chat. A scheduled result may name a listed sender's
 * own id (`schedule add --notify slack:U123`): on Slack and Discord that is not a chat, so the
 * channel's sends to it go to the direct-message chat the adapter opens (Channel.openDirect), looked
 * up once per person while the channel runs. A platform whose person ids are their private chats'
 * (Telegram) has no openDirect and is left as it is.
 */
import type { Channel, ChannelTarget } from '@oxydra/types';

/** The methods whose first argument is where the message goes. */
const ADDRESSED = new Set<PropertyKey>(['send', 'edit', 'sendQuestion', 'sendFile']);

/** `channel`, with sends to one of `personIds` going to that person's direct-message chat. */
export function withDirectChats(channel: Channel, personIds: Iterable<string>): Channel {
  const people = new Set(personIds);
  const open = channel.openDirect?.bind(channel);
  if (!open || people.size === 0) return channel;
  const opened = new Map<string, Promise<string>>();
  const chatOf = async (target: ChannelTarget): Promise<ChannelTarget> => {
    if (!people.has(target.chatId)) return target;
    let chat = opened.get(target.chatId);
    if (!chat) {
      chat = open(target.chatId);
      opened.set(target.chatId, chat);
      // A refusal is not kept: the outbox's retry asks the platform again.
      chat.catch(() => opened.delete(target.chatId));
    }
    return { ...target, chatId: await chat };
  };
  return new Proxy(channel, {
    get(base, key) {
      const value = Reflect.get(base, key, base) as unknown;
      if (typeof value !== 'function') return value;
      if (!ADDRESSED.has(key)) return value.bind(base);
      return async (target: ChannelTarget, ...rest: unknown[]) =>
        (value as (...args: unknown[]) => unknown).call(base, await chatOf(target), ...rest);
    },
  });
}
