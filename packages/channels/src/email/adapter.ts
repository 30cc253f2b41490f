/**
 * The email adapter: the channel contract over imapflow (IMAP in) and nodemailer (SMTP out),
 * mailparser for MIME. The cursor is "<UIDVALIDITY>:<UID>" of the last mail taken: receive()
 * asks the server for the UIDs after it, so a restart neither loses nor repeats mail. When the
 * mailbox's UIDVALIDITY changes (it was recreated, or restored), its UIDs mean nothing any more:
 * the mail then in it is skipped, as on the first start, and new mail is answered.
 *
 * New mail is waited for with IMAP IDLE (imapflow idles between commands; where the server has
 * no IDLE it polls), bounded by poll_interval_secs. A mail is looked at before it is downloaded:
 * its size and MIME structure come from the server, and a mail over the size or part limits is
 * passed as ignored. Each answer is one email in the thread (In-Reply-To, References,
 * "Re: subject"), marked Auto-Submitted so other robots do not answer it; an outbox message's
 * Message-ID is derived from its key, so one sent again after a crash is the same mail to its
 * receiver. Mail taken is marked \Seen once stored (acknowledge). Passwords are scrubbed from
 * every error.
 */
import {
  type Channel,
  type ChannelAttachment,
  type ChannelButton,
  type ChannelCapabilities,
  type ChannelFile,
  ChannelRetryableError,
  type ChannelSendOptions,
  type ChannelTarget,
  type ChannelUpdate,
} from '@oxydra/types';
import { ImapFlow, type MessageStructureObject } from 'imapflow';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { scrubbed, scrubber } from '../platform-errors.js';
import { readMail } from './body.js';
import { decodeContext, keyedMessageId, newMessageId, questionMessageId, replySubject } from './thread.js';
import { emailUpdate, structureSize } from './updates.js';

interface EmailServer {
  host: string;
  port: number;
  tls: 'implicit' | 'starttls' | 'none';
  user: string;
  password: string;
}

export interface EmailOptions {
  name: string;
  address: string;
  imap: EmailServer;
  smtp: EmailServer;
  mailbox: string;
  pollIntervalSecs: number;
  requireAuthentication: boolean;
  authservId?: string | undefined;
  /** Other addresses delivering to the mailbox (see MailPolicy). */
  aliases: readonly string[];
  requireAddressed: boolean;
  maxMessageBytes: number;
  maxMessageLength: number;
}

/** Mails taken per receive(); the rest come with the next. */
const BATCH = 20;
/** MIME limits: more parts or deeper nesting than this is refused before download. */
const MAX_MIME_PARTS = 100;
const MAX_MIME_DEPTH = 8;

export class EmailChannel implements Channel {
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  readonly #o: EmailOptions;
  readonly #domain: string;
  readonly #closing = new AbortController();
  #imap: ImapFlow | undefined;
  #smtp: ReturnType<typeof nodemailer.createTransport> | undefined;
  /** Where a first start (or a new UIDVALIDITY) begins: after the mail already there. */
  #start: { validity: string; uid: number } | undefined;
  #mailArrived: (() => void) | undefined;
  /**
   * The server said mail arrived while nothing waited (during a search, which may have missed
   * it): the next wait ends at once instead of after poll_interval_secs.
   */
  #mailPending = false;
  /** Mail handed out as a message or reply, not yet marked \Seen (acknowledge). */
  #taken: { validity: string; uid: number }[] = [];

  constructor(options: EmailOptions) {
    this.name = options.name;
    this.#o = options;
    this.#domain = options.address.split('@')[1]!;
    this.capabilities = {
      edit: false,
      maxMessageLength: options.maxMessageLength,
      minEditIntervalMs: 0,
      files: true,
    };
  }

  async start(): Promise<{ botName: string }> {
    const smtp = this.#o.smtp;
    this.#smtp = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.tls === 'implicit',
      requireTLS: smtp.tls === 'starttls',
      ignoreTLS: smtp.tls === 'none',
      auth: { user: smtp.user, pass: smtp.password },
      // Only the bytes given are sent: nodemailer never reads a path or fetches a URL for us.
      disableFileAccess: true,
      disableUrlAccess: true,
      connectionTimeout: 20_000,
      logger: false,
    });
    await this.#call(() => this.#smtp!.verify());
    const box = await this.#mailbox();
    this.#start = { validity: String(box.uidValidity), uid: box.uidNext - 1 };
    // Said at every start: with authentication off, anyone can write as an allowed sender.
    const warning = this.#o.requireAuthentication
      ? ''
      : ' (WARNING: require_authentication = false: any From address is believed)';
    return { botName: `${this.#o.address}${warning}` };
  }

  async receive(cursor: string | undefined, signal: AbortSignal): Promise<ChannelUpdate[]> {
    const both = AbortSignal.any([signal, this.#closing.signal]);
    // What arrives from here on is either found by this search or flagged for the wait below.
    this.#mailPending = false;
    let updates = await this.#call(() => this.#newMail(cursor));
    if (updates.length === 0 && !both.aborted) {
      await this.#waitForMail(both);
      if (both.aborted) return [];
      updates = await this.#call(() => this.#newMail(cursor));
    }
    return updates;
  }

  async send(
    target: ChannelTarget,
    text: string,
    options?: ChannelSendOptions,
  ): Promise<{ messageId: string }> {
    return this.#send(target, { text }, this.#keyedId(target, options, [text]));
  }

  /**
   * Marks the mail taken up to `cursor` (now stored) \Seen, so a person looking at the mailbox
   * sees what the bot has read. The cursor stays the record: a failure here changes nothing else
   * (it is not retried), and mail passed as ignored (too large, unauthenticated) stays unseen.
   */
  async acknowledge(cursor: string): Promise<void> {
    const [validity, last] = cursor.split(':');
    const upTo = Number(last);
    const seen = this.#taken.filter((t) => t.validity === validity && t.uid <= upTo).map((t) => t.uid);
    this.#taken = this.#taken.filter((t) => t.validity === validity && t.uid > upTo);
    if (seen.length === 0) return;
    try {
      const box = await this.#mailbox();
      if (String(box.uidValidity) !== validity) return;
      await this.#imap!.messageFlagsAdd(seen.join(','), ['\\Seen'], { uid: true });
    } catch {
      // Cosmetic: the mail stays unseen; the cursor already keeps it from being taken again.
    }
  }

  async edit(): Promise<void> {
    throw new Error('email cannot edit a sent message');
  }

  async sendQuestion(
    target: ChannelTarget,
    text: string,
    buttons: ChannelButton[],
  ): Promise<{ messageId: string }> {
    const labels = buttons.map((b) => b.label.toUpperCase());
    const how = `Reply with ${labels.join(' or ')} as the first line of your answer.`;
    const messageId = questionMessageId(
      this.#domain,
      buttons.map((b) => [b.label, b.value]),
    );
    return this.#send(target, { text: `${text}\n\n${how}` }, messageId);
  }

  /**
   * Email has nothing to acknowledge a press with: the reply itself was the press. Its note (a
   * reply not from the question's user, or to a closed question) is not sent: it would be mailed
   * to whatever From the reply carries, a forged one included (docs/channels.md).
   */
  async answerButton(): Promise<void> {}

  async sendFile(target: ChannelTarget, file: ChannelFile, caption?: string, once?: ChannelSendOptions) {
    const id = this.#keyedId(target, once, [file.name, caption ?? '']);
    return this.#send(
      target,
      {
        text: caption ?? file.name,
        attachments: [
          {
            filename: file.name.replace(/[/\\]/g, '_'),
            content: Buffer.from(file.bytes),
            ...(file.mimeType ? { contentType: file.mimeType } : {}),
          },
        ],
      },
      id,
    );
  }

  async fetchAttachment(
    attachment: ChannelAttachment,
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const match = attachment.id.match(/^(\d+):(\d+):([\d.]+)$/);
    if (!match) throw new Error(`not an email attachment id: ${attachment.id.slice(0, 60)}`);
    const [, validity, uid, part] = match;
    if (attachment.size !== undefined && attachment.size > maxBytes * 1.4) {
      throw new Error(`the attachment is larger than ${maxBytes} bytes`);
    }
    return this.#call(async () => {
      // A stop (or the download's time limit) ends the download itself: the connection it runs on
      // is closed, and the next call connects again. Waiting for the next chunk instead held the
      // connection, and every receive() queued behind it, until imapflow's socket timeout when
      // the server stalled.
      const cut = () => this.#imap?.close();
      signal.addEventListener('abort', cut, { once: true });
      try {
        if (signal.aborted) throw new Error('stopped');
        const box = await this.#mailbox();
        if (String(box.uidValidity) !== validity)
          throw new Error('the mailbox changed (UIDVALIDITY): the mail is gone');
        const download = await this.#imap!.download(uid!, part, { uid: true, maxBytes: maxBytes + 1 });
        if (!download.content) throw new Error('the attachment is gone');
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of download.content as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxBytes || signal.aborted) {
            download.content.destroy();
            throw new Error(signal.aborted ? 'stopped' : `the attachment is larger than ${maxBytes} bytes`);
          }
          chunks.push(chunk);
        }
        if (signal.aborted) throw new Error('stopped');
        return new Uint8Array(Buffer.concat(chunks));
      } catch (error) {
        throw signal.aborted ? new Error('stopped') : error;
      } finally {
        signal.removeEventListener('abort', cut);
      }
    });
  }

  async close(): Promise<void> {
    this.#closing.abort();
    this.#mailArrived?.();
    await this.#imap?.logout().catch(() => {});
    this.#imap?.close();
    this.#smtp?.close();
  }

  /** Connected and the mailbox open (again after a dropped connection). */
  async #mailbox() {
    if (!this.#imap?.usable) {
      this.#imap?.close();
      const imap = this.#o.imap;
      const client = new ImapFlow({
        host: imap.host,
        port: imap.port,
        secure: imap.tls === 'implicit',
        doSTARTTLS: imap.tls === 'starttls' ? true : imap.tls === 'none' ? false : undefined,
        auth: { user: imap.user, pass: imap.password },
        logger: false,
        maxIdleTime: this.#o.pollIntervalSecs * 1000,
        // IDLE only while receive() waits (#waitForMail), not 15 s after every command.
        disableAutoIdle: true,
      });
      client.on('error', () => {}); // a dropped connection shows in the next call (usable is false)
      client.on('exists', () => {
        if (this.#mailArrived) this.#mailArrived();
        else this.#mailPending = true;
      });
      this.#imap = client;
      await client.connect();
      await client.mailboxOpen(this.#o.mailbox);
    }
    const box = this.#imap.mailbox;
    if (!box) throw new ChannelRetryableError(`IMAP mailbox ${this.#o.mailbox} is not open`);
    return box;
  }

  async #newMail(cursor: string | undefined): Promise<ChannelUpdate[]> {
    const box = await this.#mailbox();
    const validity = String(box.uidValidity);
    const [cursorValidity, cursorUid] = cursor?.split(':') ?? [];
    const updates: ChannelUpdate[] = [];
    let after = Number(cursorUid);
    if (cursor === undefined || cursorValidity !== validity) {
      // First start, or the mailbox was recreated: begin after the mail already there (at start).
      const from = this.#start?.validity === validity ? this.#start.uid : box.uidNext - 1;
      after = from;
      updates.push({
        cursor: `${validity}:${from}`,
        kind: 'ignored',
        reason:
          cursor === undefined
            ? 'the first start: mail already in the mailbox is not answered'
            : `the mailbox's UIDVALIDITY changed (${cursorValidity} to ${validity}): its earlier mail is not answered`,
      });
    }
    const imap = this.#imap!;
    const uids = ((await imap.search({ uid: `${after + 1}:*` }, { uid: true })) || [])
      .filter((uid) => uid > after)
      .sort((a, b) => a - b)
      .slice(0, BATCH);
    if (uids.length === 0) return updates;
    const meta = new Map<number, { size: number; structure?: MessageStructureObject }>();
    for await (const m of imap.fetch(
      uids.join(','),
      { uid: true, size: true, bodyStructure: true },
      { uid: true },
    )) {
      meta.set(m.uid, { size: m.size ?? 0, ...(m.bodyStructure ? { structure: m.bodyStructure } : {}) });
    }
    for (const uid of uids) {
      const cursorOf = `${validity}:${uid}`;
      const ignored = (reason: string) => updates.push({ cursor: cursorOf, kind: 'ignored', reason });
      const info = meta.get(uid);
      if (!info) {
        ignored('expunged before it was read');
        continue;
      }
      if (info.size > this.#o.maxMessageBytes) {
        ignored(`larger than max_message_bytes (${info.size} > ${this.#o.maxMessageBytes})`);
        continue;
      }
      const shape = info.structure ? structureSize(info.structure) : { parts: 1, depth: 1 };
      if (shape.parts > MAX_MIME_PARTS || shape.depth > MAX_MIME_DEPTH) {
        ignored(`too many MIME parts (${shape.parts}) or nested too deep (${shape.depth})`);
        continue;
      }
      const fetched = await imap.fetchOne(String(uid), { source: true }, { uid: true });
      const source = fetched ? fetched.source : undefined;
      if (!source || source.length > this.#o.maxMessageBytes) {
        ignored('gone or larger than max_message_bytes when read');
        continue;
      }
      let read: Awaited<ReturnType<typeof readMail>>;
      try {
        read = await readMail(source);
      } catch (error) {
        // mailparser refuses some hostile mail (a header block over 1 MB, too many parts). Thrown
        // from receive(), it was read again at every retry: one stranger's mail stopped the channel.
        ignored(`could not be parsed: ${(error as Error).message.slice(0, 120)}`);
        continue;
      }
      const update = emailUpdate(
        { cursor: cursorOf, key: cursorOf, ...read, structure: info.structure },
        {
          botAddress: this.#o.address.toLowerCase(),
          requireAuthentication: this.#o.requireAuthentication,
          authservId: this.#o.authservId,
          aliases: this.#o.aliases,
          requireAddressed: this.#o.requireAddressed,
        },
      );
      updates.push(update);
      const known = this.#taken.some((t) => t.validity === validity && t.uid === uid);
      if (update.kind !== 'ignored' && !known) this.#taken.push({ validity, uid });
    }
    return updates;
  }

  /** Until the server says mail arrived (IDLE), poll_interval_secs pass, or `signal` aborts. */
  #waitForMail(signal: AbortSignal): Promise<void> {
    if (this.#mailPending) {
      this.#mailPending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#mailArrived = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#o.pollIntervalSecs * 1000);
      signal.addEventListener('abort', done, { once: true });
      this.#mailArrived = done;
      // Resolves when the next command breaks it; the server reports new mail ('exists') meanwhile.
      this.#imap?.idle().catch(() => done());
    });
  }

  async #send(target: ChannelTarget, content: Pick<Mail.Options, 'text' | 'attachments'>, id?: string) {
    const context = decodeContext(target.threadId);
    const messageId = id ?? newMessageId(this.#domain);
    await this.#call(() =>
      this.#smtp!.sendMail({
        from: this.#o.address,
        to: target.chatId,
        subject: context ? replySubject(context.subject) : 'Message from your Oxydra agent',
        messageId,
        ...(context?.inReplyTo ? { inReplyTo: context.inReplyTo } : {}),
        ...(context && context.references.length > 0 ? { references: context.references } : {}),
        // RFC 3834: an answer by a program, so auto-responders do not answer it (no mail loops).
        headers: { 'Auto-Submitted': 'auto-replied' },
        ...content,
      }),
    );
    return { messageId };
  }

  /** The Message-ID of an outbox message (its key's), or undefined: a new one. */
  #keyedId(target: ChannelTarget, options: ChannelSendOptions | undefined, what: string[]) {
    const key = options?.idempotencyKey;
    if (key === undefined) return undefined;
    return keyedMessageId(this.#domain, [this.name, target.chatId, target.threadId ?? '', key, ...what]);
  }

  /** One IMAP or SMTP operation, its failure classified and its message free of the passwords. */
  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw classify(error, [this.#o.imap.password, this.#o.smtp.password]);
    }
  }
}

/** An IMAP or SMTP failure: SMTP's 4xx and a lost connection may pass (retry), a 5xx or a refused login will not. */
function classify(error: unknown, secrets: string[]): Error {
  const scrub = scrubber(secrets, '<password>');
  if (error instanceof ChannelRetryableError) return scrubbed(error, scrub);
  const e = error as Error & {
    code?: string;
    responseCode?: number;
    authenticationFailed?: boolean;
    response?: string;
  };
  const detail = [e.message, e.response && !e.message?.includes(e.response) ? e.response : '']
    .filter(Boolean)
    .join(': ');
  const message = scrub(`email: ${detail || String(error)}`);
  if (e.authenticationFailed || e.code === 'EAUTH') return new Error(message);
  if (e.responseCode !== undefined) {
    return e.responseCode >= 400 && e.responseCode < 500
      ? new ChannelRetryableError(message)
      : new Error(message);
  }
  if (
    ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED', 'ECONNRESET', 'NoConnection', 'EDNS'].includes(
      e.code ?? '',
    )
  ) {
    return new ChannelRetryableError(message);
  }
  return new Error(message);
}
