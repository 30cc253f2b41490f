/**
 * Sends to a listed person's id go to the direct chat the channel opens for them (direct.ts):
 * opened once per person, asked again after a refusal, other chats and channels without
 * openDirect left as they are.
 */
import { type Channel, ChannelRetryableError, type ChannelTarget } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { withDirectChats } from '../src/direct.js';

/** A channel that records where each message went; openDirect refuses while `refusals` last. */
function recordingChannel(refusals: number) {
  const sent: { chatId: string; text: string }[] = [];
  const opens: string[] = [];
  const channel = {
    name: 'fake',
    capabilities: { edit: true, maxMessageLength: 100, minEditIntervalMs: 0 },
    async send(target: ChannelTarget, text: string) {
      sent.push({ chatId: target.chatId, text });
      return { messageId: String(sent.length) };
    },
    async openDirect(userId: string) {
      opens.push(userId);
      if (opens.length <= refusals) throw new ChannelRetryableError('rate limited', 10);
      return `D-${userId}`;
    },
  } as unknown as Channel;
  return { channel, sent, opens };
}

describe('withDirectChats', () => {
  it("sends to a listed person's id in their direct chat, opened once; other chats as they are", async () => {
    const { channel, sent, opens } = recordingChannel(0);
    const wrapped = withDirectChats(channel, ['U1']);
    await wrapped.send({ chatId: 'U1' }, 'one');
    await wrapped.send({ chatId: 'U1' }, 'two');
    await wrapped.send({ chatId: 'C9' }, 'three');
    expect(sent).toEqual([
      { chatId: 'D-U1', text: 'one' },
      { chatId: 'D-U1', text: 'two' },
      { chatId: 'C9', text: 'three' },
    ]);
    expect(opens).toEqual(['U1']);
    expect(wrapped.name).toBe('fake');
  });

  it('asks the platform again after a refusal (the outbox retries the send)', async () => {
    const { channel, sent, opens } = recordingChannel(1);
    const wrapped = withDirectChats(channel, ['U1']);
    await expect(wrapped.send({ chatId: 'U1' }, 'one')).rejects.toThrow(ChannelRetryableError);
    await wrapped.send({ chatId: 'U1' }, 'one');
    expect(opens).toEqual(['U1', 'U1']);
    expect(sent).toEqual([{ chatId: 'D-U1', text: 'one' }]);
  });

  it('leaves a channel without openDirect (Telegram: the id is the chat) untouched', () => {
    const { channel } = recordingChannel(0);
    const plain = { ...channel, openDirect: undefined } as Channel;
    expect(withDirectChats(plain, ['U1'])).toBe(plain);
  });
});
