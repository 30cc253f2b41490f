/**
 * Slack payloads (shaped as the Events API and interactivity deliver them, from Slack's
 * reference pages) as the channel contract's updates: what speaks to the bot, which
 * conversation, what is ignored (bots, the bot itself, a mention's duplicate message event).
 */
import type { ChannelUpdate } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { parsePressId, type SlackBotIdentity, slackIncoming } from '../src/slack/events.js';

const threads = new Set(['C0TEAM001:1700000100.000200']);
const bot: SlackBotIdentity = {
  userId: 'U0BOT0001',
  botId: 'B0BOT0001',
  inThread: (channel, ts) => threads.has(`${channel}:${ts}`),
};

/** An Events API `event_callback` around one event. */
const callback = (event: Record<string, unknown>, eventId = 'Ev0ABC123') => ({
  token: 'XXYYZZ',
  team_id: 'T0TEAM001',
  api_app_id: 'A0APP0001',
  event,
  type: 'event_callback',
  event_id: eventId,
  event_time: 1700000000,
  authorizations: [{ enterprise_id: null, team_id: 'T0TEAM001', user_id: 'U0BOT0001', is_bot: true }],
});

const dm = {
  type: 'message',
  channel: 'D0DM00001',
  user: 'U0ALICE01',
  text: 'hello',
  ts: '1700000000.000100',
  event_ts: '1700000000.000100',
  channel_type: 'im',
  team: 'T0TEAM001',
};

const message = (update: ChannelUpdate) => (update.kind === 'message' ? update.message : undefined);

describe('slackIncoming', () => {
  it('a direct message speaks to the bot, one conversation per DM channel, keyed by event_id', () => {
    const { key, update } = slackIncoming(callback(dm), bot);
    expect(key).toBe('Ev0ABC123');
    expect(update).toEqual({
      cursor: 'Ev0ABC123',
      kind: 'message',
      message: {
        id: '1700000000.000100',
        conversation: 'D0DM00001',
        chatId: 'D0DM00001',
        chatKind: 'private',
        sender: { id: 'U0ALICE01' },
        text: 'hello',
        attachments: [],
        edited: false,
        addressed: true,
      },
    });
  });

  it('in a channel: an app_mention speaks (mention removed); the message event of it is dropped; chatter does not', () => {
    const said = { ...dm, channel: 'C0TEAM001', channel_type: 'channel', text: '<@U0BOT0001> what is up?' };
    const mention = message(
      slackIncoming(callback({ ...said, type: 'app_mention', channel_type: undefined }), bot).update,
    );
    expect(mention).toMatchObject({
      conversation: 'C0TEAM001',
      chatKind: 'group',
      text: 'what is up?',
      addressed: true,
    });
    expect(slackIncoming(callback(said), bot).update).toMatchObject({ kind: 'ignored' });
    const chatter = message(slackIncoming(callback({ ...said, text: 'lunch?' }), bot).update);
    expect(chatter).toMatchObject({ addressed: false, chatKind: 'group' });
  });

  it('a thread is its own conversation; a reply speaks to the bot only in a thread it is in', () => {
    const reply = {
      ...dm,
      channel: 'C0TEAM001',
      channel_type: 'channel',
      ts: '1700000200.000300',
      text: 'and then?',
    };
    const inOurs = message(
      slackIncoming(callback({ ...reply, thread_ts: '1700000100.000200', parent_user_id: 'U0ALICE01' }), bot)
        .update,
    );
    expect(inOurs).toMatchObject({
      conversation: 'C0TEAM001:1700000100.000200',
      threadId: '1700000100.000200',
      addressed: true,
    });
    const startedByBot = message(
      slackIncoming(callback({ ...reply, thread_ts: '1700000000.999999', parent_user_id: 'U0BOT0001' }), bot)
        .update,
    );
    expect(startedByBot).toMatchObject({
      addressed: true,
      replyTo: { id: '1700000000.999999', fromBot: true },
    });
    const elsewhere = message(
      slackIncoming(callback({ ...reply, thread_ts: '1700000000.555555', parent_user_id: 'U0ALICE01' }), bot)
        .update,
    );
    expect(elsewhere).toMatchObject({ addressed: false, conversation: 'C0TEAM001:1700000000.555555' });
  });

  it('ignores bots (others and itself), joins and unknown events, without throwing on junk', () => {
    const reasons = [
      callback({ ...dm, subtype: 'bot_message', bot_id: 'B0OTHER01', user: undefined }),
      callback({ ...dm, user: 'U0BOT0001' }),
      callback({ ...dm, bot_id: 'B0OTHER01' }),
      callback({ ...dm, subtype: 'channel_join' }),
      callback({ type: 'reaction_added', user: 'U0ALICE01', reaction: 'thumbsup' }),
      callback({ ...dm, channel: 42 }),
      { type: 'app_rate_limited' },
      'not even an object',
      null,
    ].map((body) => slackIncoming(body, bot).update);
    for (const update of reasons) expect(update.kind).toBe('ignored');
    expect(reasons[0]).toMatchObject({ reason: 'a message of subtype bot_message' });
    expect(reasons[1]).toMatchObject({ reason: 'a message from a bot' });
    expect(reasons[2]).toMatchObject({ reason: 'a message from a bot' });
  });

  it('an edit is the same message id, marked edited', () => {
    const edit = callback({
      type: 'message',
      subtype: 'message_changed',
      channel: 'D0DM00001',
      channel_type: 'im',
      hidden: true,
      ts: '1700000300.000000',
      message: {
        type: 'message',
        user: 'U0ALICE01',
        text: 'hello, edited',
        ts: dm.ts,
        edited: { user: 'U0ALICE01', ts: '1700000300.000000' },
      },
      previous_message: { type: 'message', user: 'U0ALICE01', text: 'hello', ts: dm.ts },
    });
    expect(message(slackIncoming(edit, bot).update)).toMatchObject({
      id: dm.ts,
      text: 'hello, edited',
      edited: true,
    });
  });

  it('describes files (never fetches them)', () => {
    const shared = callback({
      ...dm,
      subtype: 'file_share',
      files: [
        {
          id: 'F0PHOTO01',
          name: 'cat.png',
          mimetype: 'image/png',
          size: 1234,
          url_private_download: 'https://files.slack.com/x',
        },
        { id: 'F0DOC0001', name: 'notes.pdf', mimetype: 'application/pdf', size: 99 },
        { id: 'F0VOICE01', name: 'clip.m4a', mimetype: 'audio/mp4', subtype: 'slack_audio' },
        { name: 'no id' },
      ],
    });
    expect(message(slackIncoming(shared, bot).update)?.attachments).toEqual([
      { id: 'F0PHOTO01', kind: 'photo', mimeType: 'image/png', fileName: 'cat.png', size: 1234 },
      { id: 'F0DOC0001', kind: 'document', mimeType: 'application/pdf', fileName: 'notes.pdf', size: 99 },
      { id: 'F0VOICE01', kind: 'voice', mimeType: 'audio/mp4', fileName: 'clip.m4a' },
    ]);
  });

  it('a button press is a button update whose id says whom to answer', () => {
    const { key, update } = slackIncoming(
      {
        type: 'block_actions',
        user: { id: 'U0ALICE01', username: 'alice', name: 'alice', team_id: 'T0TEAM001' },
        api_app_id: 'A0APP0001',
        container: {
          type: 'message',
          message_ts: '1700000400.000100',
          channel_id: 'C0TEAM001',
          is_ephemeral: false,
          thread_ts: '1700000100.000200',
        },
        trigger_id: '123.456.abc',
        team: { id: 'T0TEAM001', domain: 'team' },
        channel: { id: 'C0TEAM001', name: 'general' },
        response_url: 'https://hooks.slack.com/actions/T0/1/xyz',
        actions: [
          {
            type: 'button',
            action_id: 'oxydra_button_0',
            block_id: 'b',
            value: 'allow',
            action_ts: '1700000401.1',
          },
        ],
      },
      bot,
    );
    expect(key).toBe('action:123.456.abc');
    expect(update).toMatchObject({
      kind: 'button',
      press: {
        conversation: 'C0TEAM001:1700000100.000200',
        chatId: 'C0TEAM001',
        sender: { id: 'U0ALICE01' },
        value: 'allow',
        messageId: '1700000400.000100',
      },
    });
    const press = update.kind === 'button' ? update.press : undefined;
    expect(parsePressId(press!.id)).toEqual({
      channel: 'C0TEAM001',
      user: 'U0ALICE01',
      threadTs: '1700000100.000200',
    });
  });

  it('a slash command is a message speaking to the bot, its id the trigger_id', () => {
    const { update } = slackIncoming(
      {
        token: 'x',
        team_id: 'T0TEAM001',
        channel_id: 'D0DM00001',
        user_id: 'U0ALICE01',
        user_name: 'alice',
        command: '/new',
        text: '',
        api_app_id: 'A0APP0001',
        response_url: 'https://hooks.slack.com/commands/T0/1/xyz',
        trigger_id: '777.888.def',
      },
      bot,
    );
    expect(message(update)).toMatchObject({
      id: 'command:777.888.def',
      conversation: 'D0DM00001',
      chatKind: 'private',
      text: '/new',
      addressed: true,
    });
    expect(slackIncoming({ command: 'new', user_id: 'U1', channel_id: 'D1' }, bot).update.kind).toBe(
      'ignored',
    );
  });
});
