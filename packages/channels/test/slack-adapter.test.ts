/**
 * The Slack adapter through Bolt against the testkit's fake Slack, both ways in: Socket Mode (an
 * envelope is acknowledged only after acknowledge(cursor); Slack's redelivery of it is one
 * update) and the Events API over HTTP (Bolt refuses forged and old signatures, answers the
 * url_verification challenge, and holds the 200 until the update is stored). Out: a 429 is a
 * retryable error with Slack's Retry-After; a file goes up with files.uploadV2 and comes back
 * down through fetchAttachment, which sends the token only to Slack's hosts and stops at maxBytes.
 */

import { connect, type Socket } from 'node:net';
import { freePort, pollUntil } from '@oxydra/testkit/helpers';
import { FakeSlack, postSignedToApp } from '@oxydra/testkit/slack';
import { ChannelRetryableError, type ChannelUpdate } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { SlackChannel, type SlackOptions } from '../src/slack/adapter.js';
import { MAX_READING } from '../src/slack/body-gate.js';

const OWNER = 'U0OWNER01';
const SECRET = 'fake-signing-secret-value';

let fake: FakeSlack | undefined;
let channel: SlackChannel | undefined;
const logged: string[] = [];

afterEach(async () => {
  await channel?.close();
  channel = undefined;
  await fake?.close();
  fake = undefined;
  logged.length = 0;
});

async function open(mode: 'socket' | 'http', extra: Partial<SlackOptions> = {}) {
  fake = await FakeSlack.start();
  const port = await freePort();
  channel = new SlackChannel({
    name: 'slack',
    mode,
    botToken: fake.botToken,
    ...(mode === 'socket' ? { appToken: fake.appToken } : { signingSecret: SECRET }),
    listen: { host: '127.0.0.1', port, path: '/slack/events' },
    apiUrl: fake.apiUrl,
    maxMessageLength: 3900,
    requestTimeoutMs: 2000,
    log: (line) => logged.push(line),
    ...extra,
  });
  const started = await channel.start();
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  if (mode === 'http') fake.deliverTo(eventsUrl, SECRET);
  return { started, eventsUrl };
}

const receive = (timeoutMs = 5000) => channel!.receive(undefined, AbortSignal.timeout(timeoutMs));

describe('SlackChannel (Socket Mode)', () => {
  it('acknowledges an envelope only once it is stored; a redelivery is one update', async () => {
    const { started } = await open('socket');
    expect(started.botName).toBe('@oxydra');
    await pollUntil(() => fake!.socket.connections === 1, 'the socket connection');
    fake!.message({ user: OWNER, text: 'hello there' });
    const [update] = await receive();
    expect(update).toMatchObject({
      kind: 'message',
      message: { sender: { id: OWNER }, text: 'hello there', chatKind: 'private', addressed: true },
    });
    // Not stored yet: not acknowledged; a reconnect has Slack send it again, still one update.
    expect(fake!.unacked).toHaveLength(1);
    fake!.socket.dropConnections();
    await pollUntil(() => fake!.socket.envelopes[0]!.sends === 2, 'the redelivery', { timeoutMs: 15_000 });
    const again = await receive();
    expect(again.map((u) => u.cursor)).toEqual([update!.cursor]);
    await channel!.acknowledge(update!.cursor);
    await pollUntil(() => fake!.unacked.length === 0, 'the acknowledgement');
  }, 30_000);

  it('sends, edits, answers a press to the presser, waits out a 429, escapes Slack markup', async () => {
    await open('socket');
    const target = { chatId: 'C0TEAM001', threadId: '1700000000.000100' };
    const { messageId } = await channel!.send(target, 'first <!channel> & more');
    await channel!.edit(target, messageId, 'second');
    const [sent] = fake!.sent('C0TEAM001');
    expect(sent).toMatchObject({
      history: ['first &lt;!channel&gt; &amp; more', 'second'],
      threadTs: target.threadId,
    });
    // A call Slack never answers ends at the request bound, retryable (the outbox goes on).
    fake!.failNext('chat.update', { stall: true });
    const stalled = await channel!.edit(target, messageId, 'third').catch((e: unknown) => e);
    expect(stalled).toBeInstanceOf(ChannelRetryableError);
    fake!.failNext('chat.update', { status: 429, retryAfter: 7 });
    const error = await channel!.edit(target, messageId, 'third').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelRetryableError);
    expect((error as ChannelRetryableError).retryAfterMs).toBe(7000);
    // A question's buttons; the press comes back as a button update, its note only to the presser.
    const question = await channel!.sendQuestion({ chatId: 'D0OWNER01' }, 'Allow?', [
      { label: 'Allow', value: 'allow' },
      { label: 'Deny', value: 'deny' },
    ]);
    const asked = fake!.sent('D0OWNER01').find((m) => m.ts === question.messageId)!;
    expect(JSON.stringify(asked.blocks)).toContain('"value":"deny"');
    fake!.press({ user: OWNER, message: asked, value: 'deny' });
    const [press] = await receive();
    expect(press).toMatchObject({
      kind: 'button',
      press: { sender: { id: OWNER }, value: 'deny', chatId: 'D0OWNER01' },
    });
    await channel!.acknowledge(press!.cursor);
    await channel!.answerButton((press as Extract<ChannelUpdate, { kind: 'button' }>).press.id, 'Denied.');
    expect(fake!.ephemerals('D0OWNER01')).toEqual([{ channel: 'D0OWNER01', user: OWNER, text: 'Denied.' }]);
  });

  it('a file round-trips: uploaded with files.uploadV2, downloaded within maxBytes, the token only to Slack', async () => {
    await open('socket');
    const bytes = new TextEncoder().encode('a report, in bytes\n'.repeat(100));
    const { messageId } = await channel!.sendFile(
      { chatId: 'D0OWNER01' },
      { name: 'report.txt', bytes },
      'Here it is',
    );
    const [upload] = fake!.uploads('D0OWNER01');
    expect(upload).toMatchObject({ id: messageId, name: 'report.txt', initialComment: 'Here it is' });
    expect(Buffer.compare(upload!.bytes, Buffer.from(bytes))).toBe(0);
    // A person's message with that file: described, then fetched on demand.
    fake!.message({ user: OWNER, text: 'see attached', files: [upload!] });
    const [update] = await receive();
    const attachment = (update as Extract<ChannelUpdate, { kind: 'message' }>).message.attachments[0]!;
    expect(attachment).toMatchObject({ id: messageId, fileName: 'report.txt', size: bytes.length });
    const back = await channel!.fetchAttachment(attachment, 1_000_000, AbortSignal.timeout(5000));
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    // Past maxBytes: refused (the size Slack gave, then the bytes counted while streaming).
    await expect(channel!.fetchAttachment(attachment, 100, AbortSignal.timeout(5000))).rejects.toThrow(
      /over the limit/,
    );
    const { size: _, ...unsized } = attachment;
    await expect(channel!.fetchAttachment(unsized, 100, AbortSignal.timeout(5000))).rejects.toThrow(
      /over the limit/,
    );
    expect(fake!.calls.filter((c) => c.method === 'files-pri' && c.ok)).toHaveLength(2);
  });

  it('refuses to send the token to a host that is not Slack', async () => {
    // Slack's files.info points the download at another host: the token must not go there.
    const elsewhere = await FakeSlack.start();
    fake = await FakeSlack.start({ filesUrl: elsewhere.url });
    try {
      channel = new SlackChannel({
        name: 'slack',
        mode: 'socket',
        botToken: fake.botToken,
        appToken: fake.appToken,
        listen: { host: '127.0.0.1', port: 1, path: '/' },
        apiUrl: fake.apiUrl,
        maxMessageLength: 3900,
        log: (line) => logged.push(line),
      });
      await channel.start();
      const file = fake.addFile({
        name: 'x.bin',
        mimetype: 'application/octet-stream',
        bytes: new Uint8Array(10),
      });
      await expect(
        channel.fetchAttachment({ id: file.id, kind: 'document' }, 100, AbortSignal.timeout(5000)),
      ).rejects.toThrow(/not a Slack host/);
      expect(elsewhere.calls).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('refuses a bad bot token at start without printing it', async () => {
    fake = await FakeSlack.start();
    channel = new SlackChannel({
      name: 'slack',
      mode: 'socket',
      botToken: 'xoxb-wrong-token-123',
      appToken: fake.appToken,
      listen: { host: '127.0.0.1', port: 1, path: '/' },
      apiUrl: fake.apiUrl,
      maxMessageLength: 3900,
    });
    const error = (await channel.start().catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('invalid_auth');
    expect(error.message).not.toContain('xoxb-wrong-token-123');
  });
});

describe('SlackChannel (Events API over HTTP)', () => {
  it('refuses forged and old signatures, answers url_verification, holds the 200 until stored, drops retries', async () => {
    const { eventsUrl } = await open('http');
    const challenge = await postSignedToApp(eventsUrl, SECRET, {
      type: 'url_verification',
      challenge: 'c-123',
      token: 't',
    });
    expect(challenge.status).toBe(200);
    expect(await challenge.text()).toContain('c-123');
    const body = {
      type: 'event_callback',
      team_id: fake!.teamId,
      event_id: 'Ev0FORGED1',
      event: {
        type: 'message',
        channel: 'D0OWNER01',
        channel_type: 'im',
        user: OWNER,
        text: 'forged',
        ts: '1.000001',
      },
    };
    const forged = await postSignedToApp(eventsUrl, SECRET, body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const old = await postSignedToApp(eventsUrl, SECRET, body, {
      timestampSecs: Math.floor(Date.now() / 1000) - 600,
    });
    expect(old.status).toBe(401);

    // A real one: its request stays open until acknowledged; Slack's retry of it is the same update.
    const { eventIds } = fake!.message({ user: OWNER, text: 'real question' });
    const [update] = await receive();
    expect(update).toMatchObject({ kind: 'message', message: { text: 'real question' } });
    expect(fake!.posts.filter((p) => p.eventId === eventIds[0]).every((p) => p.status === 0)).toBe(true);
    const retry = postSignedToApp(eventsUrl, SECRET, fake!.delivered(eventIds[0]!)!, { retryNum: 1 });
    await channel!.acknowledge(update!.cursor);
    await pollUntil(() => fake!.posts.some((p) => p.eventId === eventIds[0] && p.status === 200), 'the 200');
    expect((await retry).status).toBe(200);
    expect(await channel!.receive(undefined, AbortSignal.timeout(300))).toEqual([]);
  });

  it('reads at most MAX_READING bodies at once: a stranger holding forged requests open gets 503, not 4 MB each', async () => {
    const { eventsUrl } = await open('http');
    const { port } = new URL(eventsUrl);
    // Forged headers and a 1 MB body of which 1 KB is sent, then held: Bolt must read it all to check it.
    const held = (): Promise<{ socket: Socket; answer: Promise<string> }> =>
      new Promise((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n` +
              `X-Slack-Signature: v0=${'0'.repeat(64)}\r\nX-Slack-Request-Timestamp: ${Math.floor(Date.now() / 1000)}\r\n\r\n${'x'.repeat(1024)}`,
          );
          resolve({ socket, answer });
        });
        let text = '';
        const answer = new Promise<string>((done) => {
          socket.on('data', (chunk) => {
            text += chunk.toString();
            done(text);
          });
          socket.on('error', () => done(text));
        });
      });
    const holders = [];
    for (let i = 0; i < MAX_READING; i++) holders.push(await held());
    const extra = await held();
    try {
      // Answered while its body is unsent: refused unread (before, no answer came: Bolt waited for the body).
      const unanswered = new Promise<string>((done) => setTimeout(() => done('no answer'), 5000).unref());
      expect(await Promise.race([extra.answer, unanswered])).toMatch(/^HTTP\/1\.1 503/);
    } finally {
      for (const h of [...holders, extra]) h.socket.destroy();
    }
    // The slots are free again once those requests are gone: Slack's own delivery goes through.
    fake!.message({ user: OWNER, text: 'after the flood' });
    const updates = await pollUntil(async () => {
      const got = await receive(1000);
      return got.length > 0 ? got : undefined;
    }, 'the delivery after the flood');
    expect(updates[0]).toMatchObject({ kind: 'message', message: { text: 'after the flood' } });
  });
});
