/**
 * Discord's payloads as the channel contract's updates (who spoke, where, whether to the bot,
 * what was attached, which button), and the cursor that says where to read again after a restart.
 */
import { messageBase } from '@oxydra/testkit/discord';
import type { APIMessage, GatewayDispatchPayload } from 'discord.js';
import { describe, expect, it } from 'vitest';
import {
  advance,
  decodeCursor,
  encodeCursor,
  MAX_TRACKED,
  snowflakeAt,
  snowflakeTime,
} from '../src/discord/cursor.js';
import { discordEvent, messageEvent } from '../src/discord/events.js';

const bot = { id: '900000000000000001', username: 'oxy_bot' };
const alice = {
  id: '100000000000000042',
  username: 'alice',
  global_name: 'Alice L',
  discriminator: '0',
  avatar: null,
};

/** A message as the fake Discord makes them, at a fixed time. */
const message = (fields: Record<string, unknown> = {}): APIMessage =>
  ({
    ...messageBase('1300000000000000001', '200000000000000007', alice),
    content: 'hi',
    timestamp: '2026-01-01T00:00:00.000Z',
    ...fields,
  }) as unknown as APIMessage;

const dispatch = (t: string, d: unknown) => ({ op: 0, s: 1, t, d }) as unknown as GatewayDispatchPayload;

describe('discordEvent', () => {
  it('a direct message speaks to the bot; the conversation is the channel', () => {
    expect(discordEvent(dispatch('MESSAGE_CREATE', message()), bot)).toEqual({
      kind: 'message',
      message: {
        id: '1300000000000000001',
        conversation: '200000000000000007',
        chatId: '200000000000000007',
        chatKind: 'private',
        sender: { id: alice.id, name: 'Alice L' },
        text: 'hi',
        attachments: [],
        edited: false,
        addressed: true,
      },
    });
  });

  it('in a server only a mention of the bot or a reply to it is addressed; the mention reads as @name', () => {
    const inServer = (fields: Record<string, unknown>) =>
      discordEvent(dispatch('MESSAGE_CREATE', message({ guild_id: '300', ...fields })), bot);
    expect(inServer({ content: 'chatter' })).toMatchObject({
      message: { chatKind: 'group', addressed: false },
    });
    expect(inServer({ content: `<@${bot.id}> help me`, mentions: [{ ...alice, id: bot.id }] })).toMatchObject(
      {
        message: { addressed: true, text: '@oxy_bot help me' },
      },
    );
    expect(inServer({ content: `<@!${bot.id}> old form` })).toMatchObject({
      message: { text: '@oxy_bot old form' },
    });
    // Writing "<@id>" without it being a mention (not in `mentions`) does not address the bot.
    expect(inServer({ content: `<@${bot.id}>` })).toMatchObject({ message: { addressed: false } });
    const replyToBot = inServer({
      type: 19,
      content: 'and then?',
      referenced_message: message({ id: '1299', author: { ...alice, id: bot.id, bot: true } }),
      message_reference: { message_id: '1299' },
    });
    expect(replyToBot).toMatchObject({
      message: { addressed: true, replyTo: { id: '1299', fromBot: true } },
    });
    const replyToSomeone = inServer({ type: 19, referenced_message: message({ id: '1298' }) });
    expect(replyToSomeone).toMatchObject({
      message: { addressed: false, replyTo: { id: '1298', fromBot: false } },
    });
  });

  it("bots' and webhooks' messages and system messages are ignored (no loops)", () => {
    expect(
      discordEvent(dispatch('MESSAGE_CREATE', message({ author: { ...alice, bot: true } })), bot),
    ).toMatchObject({
      kind: 'ignored',
    });
    expect(discordEvent(dispatch('MESSAGE_CREATE', message({ webhook_id: '5' })), bot)).toMatchObject({
      kind: 'ignored',
    });
    expect(discordEvent(dispatch('MESSAGE_CREATE', message({ type: 7 })), bot)).toMatchObject({
      kind: 'ignored',
    });
  });

  it('an edit is marked edited; an update without content (an embed resolving) is ignored', () => {
    expect(discordEvent(dispatch('MESSAGE_UPDATE', message({ content: 'fixed' })), bot)).toMatchObject({
      kind: 'message',
      message: { edited: true, text: 'fixed' },
    });
    expect(
      discordEvent(dispatch('MESSAGE_UPDATE', { id: '1', channel_id: '2', embeds: [] }), bot),
    ).toMatchObject({
      kind: 'ignored',
    });
  });

  it('attachments are described by their CDN address, never fetched', () => {
    const withFile = message({
      attachments: [
        {
          id: '7',
          filename: 'cat.png',
          size: 1234,
          url: 'https://cdn.discordapp.com/attachments/2/7/cat.png?ex=1',
          proxy_url: 'https://media.discordapp.net/attachments/2/7/cat.png',
          content_type: 'image/png',
        },
        {
          id: '8',
          filename: 'blob',
          size: 5,
          url: 'https://cdn.discordapp.com/attachments/2/8/blob',
          proxy_url: '',
        },
      ],
    });
    expect(messageEvent(withFile, bot, false, true)).toMatchObject({
      message: {
        attachments: [
          {
            id: 'https://cdn.discordapp.com/attachments/2/7/cat.png?ex=1',
            kind: 'photo',
            mimeType: 'image/png',
            fileName: 'cat.png',
            size: 1234,
          },
          { id: 'https://cdn.discordapp.com/attachments/2/8/blob', kind: 'other', fileName: 'blob', size: 5 },
        ],
      },
    });
  });

  it('a button press is a `button` update, its token kept apart; other interactions are ignored', () => {
    const press = {
      id: '600',
      application_id: bot.id,
      type: 3,
      token: 'secret-interaction-token',
      version: 1,
      channel_id: '200000000000000007',
      member: { user: alice },
      data: { custom_id: 'approve:9', component_type: 2 },
      message: message({ id: '1301', author: { ...alice, id: bot.id, bot: true } }),
    };
    expect(discordEvent(dispatch('INTERACTION_CREATE', press), bot)).toEqual({
      kind: 'button',
      token: 'secret-interaction-token',
      press: {
        id: '600',
        conversation: '200000000000000007',
        chatId: '200000000000000007',
        sender: { id: alice.id, name: 'Alice L' },
        value: 'approve:9',
        messageId: '1301',
      },
    });
    // A select menu (component type 3) and a slash command (interaction type 2) are not presses.
    expect(
      discordEvent(
        dispatch('INTERACTION_CREATE', { ...press, data: { custom_id: 'x', component_type: 3 } }),
        bot,
      ),
    ).toMatchObject({ kind: 'ignored' });
    expect(discordEvent(dispatch('INTERACTION_CREATE', { ...press, type: 2 }), bot)).toMatchObject({
      kind: 'ignored',
    });
    expect(discordEvent(dispatch('TYPING_START', {}), bot)).toMatchObject({ kind: 'ignored' });
  });
});

describe('the Discord cursor', () => {
  it('tracks the newest id per conversation of an allowed sender, and the newest seen anywhere', () => {
    let state = decodeCursor(undefined, Date.UTC(2026, 0, 1));
    state = advance(state, '700', '2000000000000000000', true);
    state = advance(state, '701', '2000000000000000005', false); // a stranger's: moves only the watermark
    state = advance(state, '700', '1999999999999999999', true); // older (read twice): no step back
    expect(state).toEqual({ w: '2000000000000000005', c: { '700': '2000000000000000000' } });
    expect(decodeCursor(encodeCursor(state), 0)).toEqual(state);
  });

  it('a cursor that is not ours starts afresh from now; junk entries are dropped', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(decodeCursor('12345', now)).toEqual({ w: snowflakeAt(now), c: {} });
    expect(decodeCursor('{"w":"5","c":{"1":"2","x":"3","4":"<script>"}}', now)).toEqual({
      w: '5',
      c: { '1': '2' },
    });
    expect(snowflakeTime(snowflakeAt(now))).toBe(now);
  });

  it(`keeps at most ${MAX_TRACKED} conversations, dropping the one quiet the longest`, () => {
    let state = decodeCursor(undefined, 0);
    for (let i = 0; i <= MAX_TRACKED; i += 1) state = advance(state, `c${i}`, String(1000 + i), true);
    expect(Object.keys(state.c)).toHaveLength(MAX_TRACKED);
    expect(state.c.c0).toBeUndefined();
    expect(state.c[`c${MAX_TRACKED}`]).toBe(String(1000 + MAX_TRACKED));
  });
});
