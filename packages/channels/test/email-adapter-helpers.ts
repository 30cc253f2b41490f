/**
 * Shared by the email-adapter-*.test.ts files: the email adapter on real servers, Debian's
 * Dovecot (IMAP, mail delivered by APPEND) and smtp-server (what we send, captured).
 *
 * One Dovecot for each file (its start and stop cost more than a test's mail; useDovecot
 * registers the file's hooks): each test logs in as a mailbox user of its own, so no test sees
 * another's mail or mailboxes. Where a test waits for mail, receive() is already waiting (IDLE)
 * when the mail is delivered, as a running channel is (deliverWhileWaiting); deliver alone
 * delivers while nothing waits (the next receive's own search finds it).
 */
import { composeMail, Dovecot, dovecotSkipReason, SmtpCapture, type TestMail } from '@oxydra/testkit/email';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { ChannelUpdate } from '@oxydra/types';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { EmailChannel, type EmailOptions } from '../src/email/adapter.js';

export const skip = dovecotSkipReason();
/** A mailbox user per test (the IMAP login; the channel's address is agent@oxy.test in each). */
const BOTS = Array.from({ length: 10 }, (_, i) => ({
  user: `agent${i}@oxy.test`,
  password: `imap-Secret-471${i}`,
}));
export const SMTP = { user: 'agent@oxy.test', password: 'smtp-Secret-0815' };
const AUTH = 'mx.oxy.test; dmarc=pass header.from=example.com';

export let dovecot: Dovecot | undefined;
export let smtp: SmtpCapture | undefined;
export let channel: EmailChannel | undefined;
export let BOT = BOTS[0]!;
let tests = 0;

export function useDovecot(): void {
  beforeAll(async () => {
    if (skip === undefined) dovecot = await Dovecot.start(BOTS);
  });
  afterAll(async () => {
    await dovecot?.close();
    dovecot = undefined;
  });
  beforeEach(() => {
    const next = BOTS[tests++];
    if (!next) throw new Error('BOTS has a user per test: add one for the new test');
    BOT = next;
  });
  afterEach(async () => {
    await channel?.close();
    await smtp?.close();
    channel = smtp = undefined;
  });
}

export async function setUp(overrides: Partial<EmailOptions> = {}): Promise<EmailChannel> {
  smtp = await SmtpCapture.start(SMTP);
  return setUpChannel(overrides);
}

/** An adapter on the running servers (a second one plays a restart). */
export function setUpChannel(overrides: Partial<EmailOptions> = {}): EmailChannel {
  channel = new EmailChannel({
    name: 'email',
    address: 'agent@oxy.test',
    imap: { host: dovecot!.host, port: dovecot!.port, tls: 'none', ...BOT },
    smtp: { host: smtp!.host, port: smtp!.port, tls: 'none', ...SMTP },
    mailbox: 'INBOX',
    pollIntervalSecs: 5,
    requireAuthentication: true,
    authservId: 'mx.oxy.test',
    aliases: [],
    requireAddressed: true,
    maxMessageBytes: 200_000,
    maxMessageLength: 100_000,
    ...overrides,
  });
  return channel;
}

export const deliver = async (mail: TestMail, mailbox = 'INBOX') =>
  dovecot!.append(
    BOT,
    await composeMail({ to: 'agent@oxy.test', subject: 'Hi', authResults: AUTH, ...mail }),
    mailbox,
  );

/** Receives until an update that is not the start marker arrives; returns all received. */
async function receiveMail(cursor: string | undefined): Promise<ChannelUpdate[]> {
  const got: ChannelUpdate[] = [];
  await pollUntil(
    async () => {
      got.push(...(await channel!.receive(cursor ?? got.at(-1)?.cursor, AbortSignal.timeout(10_000))));
      return got.some((u) => u.kind !== 'ignored' || !u.reason.startsWith('the first start'));
    },
    'mail to arrive',
    { timeoutMs: 20_000 },
  );
  return got;
}

/**
 * Delivers `mail` while receive() after `cursor` is waiting for it (IDLE), as a running channel
 * waits; receives on until it is there (the server's notice can fall between two of the
 * adapter's commands: then the next poll finds it). Returns all received.
 */
export async function deliverWhileWaiting(
  cursor: string,
  mail: TestMail,
  mailbox?: string,
): Promise<ChannelUpdate[]> {
  const waiting = channel!.receive(cursor, AbortSignal.timeout(15_000));
  await deliver(mail, mailbox);
  const got = await waiting;
  return got.length > 0 ? got : receiveMail(cursor);
}

/** Receives after `start` until `count` updates came. */
export async function receiveCount(
  email: EmailChannel,
  start: string,
  count: number,
): Promise<ChannelUpdate[]> {
  const got: ChannelUpdate[] = [];
  await pollUntil(
    async () => {
      got.push(...(await email.receive(got.at(-1)?.cursor ?? start, AbortSignal.timeout(5000))));
      return got.length >= count;
    },
    `${count} mails`,
    { timeoutMs: 20_000 },
  );
  return got;
}
