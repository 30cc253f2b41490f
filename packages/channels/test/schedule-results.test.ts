/**
 * A schedule's chat (`schedule add --notify`): what a target may be, that it must be the
 * schedule user's own chat (a listed sender's private chat, or a chat where that user talked,
 * from a real channel store), and what a finished run says in it.
 */
import { join } from 'node:path';
import { checkNotifyTarget, openChannelStore, parseNotifyTarget, resultText } from '@oxydra/channels';
import type { ScheduleNotification } from '@oxydra/kernel/scheduler';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { UsageError } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';

const PROVIDER = { providers: { registry: { openai: { provider_type: 'openai' } } } };
const config = agentConfigSchema.parse({
  ...PROVIDER,
  channels: {
    telegram: {
      enabled: true,
      bot_token_env: 'T',
      senders: [
        { platform_ids: ['42'], user: 'alice' },
        { platform_ids: ['51'], user: 'bob' },
      ],
    },
  },
});

let scratch: TempWorkspace;
let dir: string | undefined;
afterEach(() => {
  if (dir) scratch.cleanup();
  dir = undefined;
});

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('not refused');
};

describe('schedule results in a chat', () => {
  it('reads <channel>:<chat>[:<thread>] of an enabled channel, and nothing else', () => {
    expect(parseNotifyTarget('telegram:42', config)).toEqual({ channel: 'telegram', chatId: '42' });
    expect(parseNotifyTarget('telegram:-100:7', config)).toEqual({
      channel: 'telegram',
      chatId: '-100',
      threadId: '7',
    });
    expect(refusal(() => parseNotifyTarget('42', config))).toContain('not <channel>:<chat id>');
    expect(refusal(() => parseNotifyTarget('telegram:4 2', config))).toContain('not <channel>:<chat id>');
    expect(refusal(() => parseNotifyTarget('irc:42', config))).toContain('no channel "irc"');
    const off = agentConfigSchema.parse(PROVIDER);
    expect(refusal(() => parseNotifyTarget('telegram:42', off))).toContain(
      '[channels.telegram] is not enabled',
    );
  });

  it("allows only the schedule user's own chats", async () => {
    scratch = tempWorkspace({ prefix: 'oxydra-schedule-chat-' });
    dir = scratch.dir;
    const store = openChannelStore(join(dir, 'channels.db'));
    try {
      const alicePrivate = { channel: 'telegram', chatId: '42' };
      expect(await checkNotifyTarget(alicePrivate, 'alice', config, store)).toEqual({
        ...alicePrivate,
        userId: 'alice',
      });
      await expect(checkNotifyTarget(alicePrivate, 'bob', config, store)).rejects.toThrow('is user "bob"');
      // A group: allowed once the user has talked to the bot there, and only for that user.
      const group = { channel: 'telegram', chatId: '-100' };
      await expect(checkNotifyTarget(group, 'alice', config, store)).rejects.toThrow('is user "alice"');
      await store.accept('telegram', '1', [
        { conversation: '-100', messageId: '1', chatId: '-100', senderId: '42', userId: 'alice', text: 'hi' },
      ]);
      expect((await checkNotifyTarget(group, 'alice', config, store)).userId).toBe('alice');
      await expect(checkNotifyTarget(group, 'bob', config, store)).rejects.toThrow('is user "bob"');
    } finally {
      await store.close();
    }
  });

  it('says the answer, or the failure with its alert and pause, cut to fit any platform', () => {
    const schedule = {
      id: 'sch_1',
      name: 'digest',
      consecutiveFailures: 3,
      disabledReason: 'paused after 3 failures',
    };
    const base = { schedule, alert: false, disabled: false } as unknown as ScheduleNotification;
    const run = (fields: object) => ({ ...base, run: { id: 'run_1', ...fields } }) as ScheduleNotification;
    expect(resultText(run({ status: 'completed', output: ' All quiet. ' }))).toBe(
      'Scheduled "digest":\nAll quiet.',
    );
    expect(resultText({ ...run({ status: 'failed', error: 'budget' }), alert: true, disabled: true })).toBe(
      'Scheduled "digest" failed: budget\nIt has failed 3 times in a row.\nThe schedule is paused (paused after 3 failures).',
    );
    const long = resultText(run({ status: 'completed', output: 'x'.repeat(10_000) }));
    expect(long.length).toBeLessThan(2000);
    expect(long.endsWith('(the rest: oxydra schedule history sch_1)')).toBe(true);
  });
});
