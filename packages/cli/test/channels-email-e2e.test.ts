/**
 * `oxydra channels run` with the real binary answering a real mailbox: Dovecot (IMAP, mail
 * delivered by APPEND) and smtp-server (capturing every answer), the mock model behind. One
 * process serves the tests in order (each sender its own address, so their mail does not mix; the
 * first restarts it): an allowed, authenticated sender gets one reply in the thread (its
 * Message-ID from its outbox key, the mail taken marked \Seen); a stranger and a forged From get nothing; a restart answers nothing twice and what arrived meanwhile once;
 * a reply in the thread continues its session; a privileged call is asked by mail and answered by
 * a reply whose first line is ALLOW, by its user only; a scheduled run's result is mailed to the
 * address its schedule names; a file goes in as an attachment and one comes back.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeMail, Dovecot, dovecotSkipReason, SmtpCapture, type TestMail } from '@oxydra/testkit/email';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import {
  askApprovals,
  askedAbout,
  type ChannelsProcess,
  killChannels,
  pollExplained,
  runScheduleTo,
  shellCall,
  startChannels,
} from './channels-run.js';
import { anyContains, moduleRecorder } from './module-recorder.js';

const skip = dovecotSkipReason();
const BOT = { user: 'agent@oxy.test', password: 'imap-E2E-secret-pass' };
const SMTP = { user: 'agent@oxy.test', password: 'smtp-E2E-secret-pass' };
const AUTH = 'mx.oxy.test; spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com';
const EMAIL = {
  env: { TEST_IMAP_PASSWORD: BOT.password, TEST_SMTP_PASSWORD: SMTP.password },
  ready: 'answering as agent@oxy.test',
};

function channelsToml(imap: Dovecot, out: SmtpCapture): string {
  const sender = (address: string, user: string) =>
    `\n[[channels.email.senders]]\nplatform_ids = ["${address}"]\nuser = "${user}"\n`;
  return `
[channels.email]
enabled = true
address = "agent@oxy.test"
trusted_authserv_id = "mx.oxy.test"
poll_interval_secs = 5
max_file_bytes = 4096

[channels.email.imap]
host = "127.0.0.1"
port = ${imap.port}
tls = "none"
user = "${BOT.user}"
password_env = "TEST_IMAP_PASSWORD"

[channels.email.smtp]
host = "127.0.0.1"
port = ${out.port}
tls = "none"
user = "${SMTP.user}"
password_env = "TEST_SMTP_PASSWORD"
${sender('Alice@Example.com', 'alice')}${sender('bob@example.com', 'bob')}${sender('carol@example.com', 'carol')}${sender('dave@example.com', 'dave')}${sender('erin@example.com', 'erin')}`;
}

describe.skipIf(skip !== undefined)(
  `oxydra channels run (email)${skip ? ` (skipped: ${skip}; set OXYDRA_REQUIRE_DOVECOT=1 to fail instead)` : ''}`,
  () => {
    let env: AgentEnv;
    let dovecot: Dovecot;
    let smtp: SmtpCapture;
    let run: ChannelsProcess;

    const deliver = async (mail: TestMail) =>
      dovecot.append(
        BOT,
        await composeMail({ to: 'agent@oxy.test', subject: 'Question', authResults: AUTH, ...mail }),
      );
    /** Waits until `count` mails went to `address`; a timeout says what was sent and logged. */
    const mailsTo = (address: string, count: number) =>
      pollExplained(
        () => smtp.to(address).length >= count && smtp.to(address),
        `${count} mail(s) to ${address}`,
        () =>
          `sent: ${JSON.stringify(smtp.received.map((m) => `${m.to} ${m.parsed.text?.slice(0, 60)}`))}; log:\n${run.stderr()}`,
      );

    beforeAll(async () => {
      dovecot = await Dovecot.start([BOT]);
      smtp = await SmtpCapture.start(SMTP);
      env = await AgentEnv.start(
        E2E_APIS[0]!,
        [
          { match: { lastMessageContains: 'first question' }, reply: { text: 'First answer.' } },
          { match: { lastMessageContains: 'second question' }, reply: { text: 'Second answer.' } },
          { match: { lastMessageContains: 'follow-up' }, reply: { text: 'Follow-up answer.' } },
          { match: { lastMessageContains: 'first task' }, reply: shellCall('echo approved-$((40+2))') },
          { match: { lastToolResultContains: 'approved-42' }, reply: { text: 'Ran it: approved-42.' } },
          { match: { lastMessageContains: 'ping from bob' }, reply: { text: 'Pong.' } },
          { match: { lastMessageContains: 'the daily digest' }, reply: { text: 'Digest: all quiet.' } },
          {
            match: { lastMessageContains: 'inbox/email/' },
            reply: { text: 'Read it. The summary is attached.\n[[send_file: out/summary.txt]]' },
          },
        ],
        channelsToml(dovecot, smtp),
      );
      askApprovals(env, 30);
      mkdirSync(join(env.workspace, 'out'));
      writeFileSync(join(env.workspace, 'out', 'summary.txt'), 'the summary\n');
      run = await startChannels(env, EMAIL);
    }, 60_000);

    afterAll(async () => {
      await killChannels();
      await env?.close();
      await smtp?.close();
      await dovecot?.close();
    });

    it('answers an authenticated allowed sender once in the thread, nobody else, across a restart', async () => {
      await deliver({ from: 'stranger@example.com', text: 'my first question, from a stranger' });
      const forged = await deliver({
        from: 'alice@example.com',
        text: 'my first question, forged',
        authResults: 'mx.oxy.test; spf=fail smtp.mailfrom=evil.test; dmarc=fail header.from=example.com',
      });
      const first = await deliver({
        from: 'Alice <alice@example.com>',
        text: 'my first question',
        messageId: '<q1@example.com>',
      });
      const [answer] = await mailsTo('alice@example.com', 1);
      expect(answer!.parsed.text?.trim()).toBe('First answer.');
      // Its Message-ID comes from its outbox key (the same on a send again after a crash).
      expect(answer!.parsed.messageId).toMatch(/^<oxo\.[0-9a-f]{40}@oxy\.test>$/);
      // The mail taken is \Seen once stored (before its turn ran); the forged one, not taken, is not.
      const flags = await dovecot.flags(BOT);
      expect(flags.get(first)).toContain('\\Seen');
      expect(flags.get(forged)).not.toContain('\\Seen');
      expect(answer!.parsed.subject).toBe('Re: Question');
      expect(answer!.parsed.inReplyTo).toBe('<q1@example.com>');
      expect(answer!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
      // The stranger and the forged mail got nothing; the model was asked once.
      expect(smtp.to('stranger@example.com')).toEqual([]);
      expect(env.mock.requests).toHaveLength(1);
      expect(run.stderr()).toContain('ignoring messages from unknown sender stranger@example.com');
      // A DKIM replay (a signed mail Alice wrote to Bob, sent on to the bot's mailbox) and the
      // first mail delivered again (its Message-ID in its thread) get no answer: the model is
      // asked three times in all below, once per real question.
      await deliver({
        from: 'alice@example.com',
        to: 'bob@example.com',
        text: 'a mail alice wrote to bob',
        messageId: '<tobob@example.com>',
      });
      await deliver({
        from: 'Alice <alice@example.com>',
        text: 'my first question',
        messageId: '<q1@example.com>',
      });
      expect(run.stderr()).not.toContain(BOT.password);
      expect(run.stderr()).not.toContain(SMTP.password);

      // A restart: nothing answered twice; mail that came meanwhile answered once.
      expect(await run.stop()).toBe(0);
      await deliver({ from: 'alice@example.com', text: 'my second question', messageId: '<q2@example.com>' });
      run = await startChannels(env, EMAIL);
      const afterRestart = await mailsTo('alice@example.com', 2);
      expect(afterRestart[1]!.parsed.text?.trim()).toBe('Second answer.');

      // A reply in the first thread continues its session: the model sees the first answer.
      await deliver({
        from: 'alice@example.com',
        subject: 'Re: Question',
        text: 'a follow-up\n\nOn Mon, Agent wrote:\n> First answer.',
        messageId: '<q3@example.com>',
        inReplyTo: answer!.parsed.messageId!,
        references: ['<q1@example.com>', answer!.parsed.messageId!],
      });
      const all = await mailsTo('alice@example.com', 3);
      expect(all.map((m) => m.parsed.text?.trim())).toEqual([
        'First answer.',
        'Second answer.',
        'Follow-up answer.',
      ]);
      expect(all[2]!.parsed.references).toEqual([
        '<q1@example.com>',
        answer!.parsed.messageId!,
        '<q3@example.com>',
      ]);
      expect(env.mock.requests).toHaveLength(3);
      const followUp = env.requestText(2);
      expect(followUp).toContain('First answer.');
      expect(followUp).not.toContain('Second answer.');
      expect(followUp).not.toContain('On Mon, Agent wrote');
      expect(smtp.received.every((m) => m.to.length === 1 && m.to[0] === 'alice@example.com')).toBe(true);
    }, 60_000);

    it("asks a privileged call by mail; its user's reply ALLOW runs it, another sender's reply does not", async () => {
      await deliver({ from: 'carol@example.com', text: 'my first task', messageId: '<t1@example.com>' });
      const [question] = await mailsTo('carol@example.com', 1);
      expect(question!.parsed.text).toContain('shell_exec');
      expect(question!.parsed.text).toContain('echo approved-$((40+2))');
      expect(question!.parsed.text).toContain('Reply with ALLOW or DENY as the first line of your answer.');
      expect(question!.parsed.inReplyTo).toBe('<t1@example.com>');
      const reply = (from: string, id: string, text: string) =>
        deliver({
          from,
          subject: 'Re: Question',
          text: `${text}\n\nOn Mon, Agent wrote:\n> ${question!.parsed.text?.split('\n')[0]}`,
          messageId: id,
          inReplyTo: question!.parsed.messageId!,
          references: ['<t1@example.com>', question!.parsed.messageId!],
        });
      // Bob may write to the bot, but this is Carol's question: his ALLOW runs nothing. (Mail is
      // read in order: once his next mail is answered, his reply has been taken and refused.)
      await reply('bob@example.com', '<t2@example.com>', 'Allow');
      await deliver({ from: 'bob@example.com', text: 'a ping from bob', messageId: '<b1@example.com>' });
      await mailsTo('bob@example.com', 1);
      expect(smtp.to('bob@example.com').map((m) => m.parsed.text?.trim())).toEqual(['Pong.']);
      expect(askedAbout(env, 'first task')).toBe(1);
      expect(JSON.stringify(env.mock.requests)).not.toContain('approved-42');
      await reply('carol@example.com', '<t3@example.com>', 'allow.');
      const [, answer] = await mailsTo('carol@example.com', 2);
      expect(answer!.parsed.text?.trim()).toBe('Ran it: approved-42.');
      expect(JSON.stringify(env.mock.requests.at(-1)!.body)).toContain('approved-42');
      // One turn, two model calls (the call, then the answer with its result); Bob's reply was no question.
      expect(askedAbout(env, 'first task')).toBe(2);
      expect(askedAbout(env, 'Allow')).toBe(0);
      expect(smtp.to('carol@example.com')).toHaveLength(2);
    }, 40_000);

    it("a scheduled run's result is mailed to the address its schedule names, once", async () => {
      // dave has never written: his address is his listed sender's, so his schedule may name it.
      await runScheduleTo(env, {
        user: 'dave',
        name: 'digest',
        notify: 'email:dave@example.com',
        prompt: 'the daily digest',
      });
      const [result] = await mailsTo('dave@example.com', 1);
      expect(result!.parsed.text?.trim()).toBe('Scheduled "digest":\nDigest: all quiet.');
      expect(result!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
      // Another user's schedule may not mail dave.
      const refused = await env.run([
        'schedule',
        'add',
        '--every',
        '1h',
        '--user',
        'erin',
        '--notify',
        'email:dave@example.com',
        'the daily digest',
      ]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain('no listed sender of that chat is user "erin"');
      expect(smtp.to('dave@example.com')).toHaveLength(1);
    }, 40_000);

    it('a file round-trips: an attachment saved under inbox/email/ and named to the model; [[send_file]] mailed back; too large refused', async () => {
      const pdf = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
      await deliver({
        from: 'erin@example.com',
        text: 'what does it say?',
        attachments: [{ filename: '../../etc/Q3 report.pdf', content: pdf, contentType: 'application/pdf' }],
      });
      const mails = await pollExplained(
        () =>
          smtp.to('erin@example.com').some((m) => m.parsed.attachments.length > 0) &&
          smtp.to('erin@example.com'),
        'the file mailed back',
        run.stderr,
      );
      expect(mails.map((m) => m.parsed.text?.trim())).toContain('Read it. The summary is attached.');
      const out = mails.find((m) => m.parsed.attachments.length > 0)!.parsed.attachments;
      expect(out.map((a) => a.filename)).toEqual(['summary.txt']);
      expect(out[0]!.content.toString()).toBe('the summary\n');
      // The model was told where the file is; it is there, byte for byte, under a safe name.
      const prompt = env.mock.requests.find((r) => r.raw.includes('what does it say?'))!.raw;
      const path = /inbox\/email\/[^ "\\]+/.exec(prompt)![0];
      expect(path).toMatch(/^inbox\/email\/[\w.-]*Q3_report\.pdf$/);
      expect(readFileSync(join(env.workspace, path))).toEqual(pdf);
      // An attachment past max_file_bytes is refused, and the model is not asked.
      await deliver({
        from: 'erin@example.com',
        text: 'and this?',
        attachments: [{ filename: 'big.bin', content: Buffer.alloc(5000, 1) }],
      });
      await pollExplained(
        () => smtp.to('erin@example.com').find((m) => m.parsed.text?.includes('"big.bin" was not taken')),
        'the size refusal',
        run.stderr,
      );
      expect(askedAbout(env, 'and this?')).toBe(0);
      expect(await run.stop()).toBe(0);
    }, 40_000);
  },
);

describe.skipIf(skip !== undefined)('oxydra channels run (email): configuration and loading', () => {
  let env: AgentEnv | undefined;
  let dovecot: Dovecot | undefined;
  let smtp: SmtpCapture | undefined;
  afterEach(async () => {
    await env?.close();
    await smtp?.close();
    await dovecot?.close();
    env = smtp = dovecot = undefined;
  });

  it('refuses to start without the password variables (exit 2); loads the mail libraries only when the channel opens', async () => {
    dovecot = await Dovecot.start([BOT]);
    smtp = await SmtpCapture.start(SMTP);
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'Hello.' } }], channelsToml(dovecot, smtp));
    const recorder = moduleRecorder(env.sandbox.root);
    env.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    // The adapter's own text: imapflow, nodemailer and mailparser are bundled with it, in its chunk.
    const ADAPTER = 'UIDVALIDITY changed';
    expect((await env.run(['run', 'Say hello'])).status).toBe(0);
    expect(anyContains(recorder.loaded(), ADAPTER)).toBe(false);
    recorder.clear();
    const out = await env.run(['channels', 'run']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('TEST_IMAP_PASSWORD');
    expect(out.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(anyContains(recorder.loaded(), ADAPTER)).toBe(false);
    // With the passwords set it loads the adapter (and fails: the servers are gone), not printing them.
    recorder.clear();
    await smtp.close();
    smtp = undefined;
    env.sandbox.env.TEST_IMAP_PASSWORD = BOT.password;
    env.sandbox.env.TEST_SMTP_PASSWORD = SMTP.password;
    const down = await env.run(['channels', 'run']);
    expect(down.status).not.toBe(0);
    expect(anyContains(recorder.loaded(), ADAPTER)).toBe(true);
    expect(down.stderr).not.toContain(SMTP.password);
  });
});
