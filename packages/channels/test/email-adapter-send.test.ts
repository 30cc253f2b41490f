/**
 * The email adapter sending, against real servers (email-adapter-helpers.ts): a reply to a
 * question is a button press; a file goes out as an attachment and one sent in comes back by its
 * part id, refused past the limit, its download ended when stopped; an outbox key gives one
 * Message-ID across restarts; passwords never appear in errors.
 */
import { pollUntil, TcpLink } from '@oxydra/testkit/helpers';
import type { ChannelAttachment } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  BOT,
  channel,
  deliver,
  deliverWhileWaiting,
  dovecot,
  receiveCount,
  SMTP,
  setUp,
  setUpChannel,
  skip,
  smtp,
  useDovecot,
} from './email-adapter-helpers.js';

useDovecot();

describe.skipIf(skip !== undefined)(
  `email adapter on Dovecot and smtp-server${skip ? ` (skipped: ${skip}; set OXYDRA_REQUIRE_DOVECOT=1 to fail instead)` : ''}`,
  () => {
    it('a reply to a question is a button press; a file goes out and one sent in comes back, bounded', async () => {
      const email = await setUp();
      await email.start();
      const start = (await email.receive(undefined, AbortSignal.timeout(200)))[0]!.cursor;
      const { messageId: question } = await email.sendQuestion(
        { chatId: 'alice@example.com' },
        'Allow the shell tool?',
        [
          { label: 'Allow', value: 'allow:7' },
          { label: 'Deny', value: 'deny:7' },
        ],
      );
      const asked = await pollUntil(() => smtp!.to('alice@example.com')[0], 'the question');
      expect(asked.parsed.text).toContain('Reply with ALLOW or DENY');
      const [press] = await deliverWhileWaiting(start, {
        from: 'alice@example.com',
        text: 'Allow\n\n> Allow the shell tool?',
        inReplyTo: question,
        references: [question],
      });
      expect(press).toMatchObject({
        kind: 'button',
        press: { value: 'allow:7', sender: { id: 'alice@example.com' }, messageId: question },
      });

      await email.sendFile(
        { chatId: 'alice@example.com' },
        { name: 'notes.txt', bytes: new TextEncoder().encode('file body'), mimeType: 'text/plain' },
        'Here it is.',
      );
      const withFile = await pollUntil(() => smtp!.to('alice@example.com')[1], 'the file');
      expect(withFile.parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
        ['notes.txt', 'file body'],
      ]);

      const bytes = Buffer.alloc(5000, 7);
      const [mail] = await deliverWhileWaiting(press!.cursor, {
        from: 'alice@example.com',
        text: 'see attached',
        attachments: [{ filename: 'data.bin', content: bytes }],
      });
      const attachment = (mail as { message: { attachments: ChannelAttachment[] } }).message.attachments[0]!;
      expect(attachment.fileName).toBe('data.bin');
      expect(Buffer.from(await email.fetchAttachment(attachment, 10_000, AbortSignal.timeout(5000)))).toEqual(
        bytes,
      );
      // Past the limit it stops reading (the size the server reported left out, so the download itself is bounded).
      const { size: _, ...unsized } = attachment;
      await expect(email.fetchAttachment(unsized, 1000, AbortSignal.timeout(5000))).rejects.toThrow(
        /larger than 1000/,
      );
    });

    it('a download stopped while the server is silent ends: its connection is closed and the next call connects again', async () => {
      // The adapter reaches Dovecot through a link that can go silent (no close, no reset).
      const link = await TcpLink.start({ host: dovecot!.host, port: dovecot!.port });
      try {
        const email = await setUp({ imap: { host: '127.0.0.1', port: link.port, tls: 'none', ...BOT } });
        await email.start();
        const start = (await email.receive(undefined, AbortSignal.timeout(200)))[0]!.cursor;
        const bytes = Buffer.alloc(5000, 7);
        await deliver({
          from: 'alice@example.com',
          text: 'see attached',
          attachments: [{ filename: 'data.bin', content: bytes }],
        });
        const [mail] = await receiveCount(email, start, 1);
        const attachment = (mail as { message: { attachments: ChannelAttachment[] } }).message
          .attachments[0]!;
        link.freeze();
        const stop = new AbortController();
        const download = email.fetchAttachment(attachment, 10_000, stop.signal).then(
          () => 'downloaded',
          (e: Error) => e.message,
        );
        await new Promise((resolve) => setImmediate(resolve));
        // The host's stop (or download_timeout_secs): the download itself ends, it used to wait
        // for the silent server until imapflow's socket timeout, holding the connection.
        stop.abort();
        expect(
          await pollUntil(() => Promise.race([download, Promise.resolve(undefined)]), 'the download to end'),
        ).toMatch(/stopped/);
        // A new connection (the link passes new ones): the mailbox is read and the file fetched again.
        expect(await email.receive(mail!.cursor, AbortSignal.timeout(300))).toEqual([]);
        expect(
          Buffer.from(await email.fetchAttachment(attachment, 10_000, AbortSignal.timeout(5000))),
        ).toEqual(bytes);
      } finally {
        await link.stop();
      }
    });

    it('an outbox key gives one Message-ID to every send of it, also after a restart', async () => {
      const first = await setUp();
      await first.start();
      const target = { chatId: 'alice@example.com' };
      const once = { idempotencyKey: 'answer:3:0' };
      const a = await first.send(target, 'The answer.', once);
      const f1 = await first.sendFile!(target, { name: 'n.txt', bytes: new Uint8Array([1]) }, 'File', {
        idempotencyKey: 'answer:3:file:0',
      });
      await first.close();
      // The process died before the outbox marked them sent: a new adapter sends them again.
      const second = setUpChannel();
      await second.start();
      const b = await second.send(target, 'The answer.', once);
      const f2 = await second.sendFile!(target, { name: 'n.txt', bytes: new Uint8Array([1]) }, 'File', {
        idempotencyKey: 'answer:3:file:0',
      });
      // Another key, another thread, or no key: another Message-ID.
      const c = await second.send(target, 'The answer.', { idempotencyKey: 'answer:4:0' });
      const d = await second.send({ ...target, threadId: 'eyJzIjoiSGkiLCJyIjpbXX0' }, 'The answer.', once);
      const e = await second.send(target, 'The answer.');
      const mails = await pollUntil(
        () => (smtp!.to('alice@example.com').length === 7 ? smtp!.to('alice@example.com') : undefined),
        'seven mails',
      );
      const ids = mails.map((m) => m.parsed.messageId);
      expect(ids).toEqual([a, f1, b, f2, c, d, e].map((x) => x.messageId));
      expect(b.messageId).toBe(a.messageId);
      expect(f2.messageId).toBe(f1.messageId);
      expect(new Set(ids).size).toBe(5);
      expect(a.messageId).toMatch(/^<oxo\.[0-9a-f]{40}@oxy\.test>$/);
    });

    it('a wrong password fails start without printing it', async () => {
      const email = await setUp();
      await email.close();
      setUpChannel({
        imap: {
          host: dovecot!.host,
          port: dovecot!.port,
          tls: 'none',
          user: BOT.user,
          password: 'wrong-Imap-Pass',
        },
        smtp: {
          host: smtp!.host,
          port: smtp!.port,
          tls: 'none',
          user: SMTP.user,
          password: 'wrong-Smtp-Pass',
        },
      });
      const error = await channel!.start().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error!.message).not.toContain('wrong-Smtp-Pass');
      expect(error!.message).not.toContain('wrong-Imap-Pass');
    });
  },
);
