/**
 * `oxydra channels run` with the real binary answering a real mailbox: Dovecot (IMAP, mail
 * delivered by APPEND) and smtp-server (capturing every answer), the mock model behind. An
 * allowed, authenticated sender gets one reply in the thread; a stranger and a forged From get
 * nothing; a restart answers nothing twice and what arrived meanwhile once; a reply in the
 * thread continues its session. (Questions by reply and files are tested on the same servers
 * in packages/channels/test/email-adapter.test.ts: the host does not ask or send files yet.)
 */
import type { ChildProcess } from 'node:child_process';
import { composeMail, Dovecot, dovecotSkipReason, SmtpCapture, type TestMail } from '@oxydra/testkit/email';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { anyContains, moduleRecorder } from './module-recorder.js';

const skip = dovecotSkipReason();
const BOT = { user: 'agent@oxy.test', password: 'imap-E2E-secret-pass' };
const SMTP = { user: 'agent@oxy.test', password: 'smtp-E2E-secret-pass' };
const AUTH = 'mx.oxy.test; spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com';

let env: AgentEnv | undefined;
let dovecot: Dovecot | undefined;
let smtp: SmtpCapture | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  await env?.close();
  await smtp?.close();
  await dovecot?.close();
  env = smtp = dovecot = undefined;
});

function channelsToml(imap: Dovecot, out: SmtpCapture): string {
  return `
[channels.email]
enabled = true
address = "agent@oxy.test"
trusted_authserv_id = "mx.oxy.test"
poll_interval_secs = 5

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

[[channels.email.senders]]
platform_ids = ["Alice@Example.com"]
user = "alice"
`;
}

async function startChannels(agent: AgentEnv): Promise<{ child: ChildProcess; stderr: () => string }> {
  agent.sandbox.env.TEST_IMAP_PASSWORD = BOT.password;
  agent.sandbox.env.TEST_SMTP_PASSWORD = SMTP.password;
  const child = agent.spawn(['channels', 'run']);
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout!.resume();
  await pollUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`channels run exited ${child.exitCode}: ${stderr}`);
      return stderr.includes('answering as agent@oxy.test');
    },
    'channels run to start',
    { timeoutMs: 20_000 },
  );
  return { child, stderr: () => stderr };
}

const deliver = async (mail: TestMail) =>
  dovecot!.append(
    BOT,
    await composeMail({ to: 'agent@oxy.test', subject: 'Question', authResults: AUTH, ...mail }),
  );

/** Waits until `count` mails went to `address`; a timeout says what was sent and logged. */
async function mailsTo(address: string, count: number, log: () => string) {
  try {
    return await pollUntil(
      () => (smtp!.to(address).length >= count ? smtp!.to(address) : undefined),
      `${count} mail(s) to ${address}`,
      {
        timeoutMs: 20_000,
      },
    );
  } catch (error) {
    const sent = smtp!.received.map((m) => `${m.to} ${m.parsed.text?.slice(0, 60)}`);
    throw new Error(`${(error as Error).message}; sent: ${JSON.stringify(sent)}; log:\n${log()}`);
  }
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe.skipIf(skip !== undefined)(
  `oxydra channels run (email)${skip ? ` (skipped: ${skip}; set OXYDRA_REQUIRE_DOVECOT=1 to fail instead)` : ''}`,
  () => {
    it('answers an authenticated allowed sender once in the thread, nobody else, across a restart', async () => {
      dovecot = await Dovecot.start([BOT]);
      smtp = await SmtpCapture.start(SMTP);
      env = await AgentEnv.start(
        E2E_APIS[0]!,
        [
          { match: { lastMessageContains: 'first question' }, reply: { text: 'First answer.' } },
          { match: { lastMessageContains: 'second question' }, reply: { text: 'Second answer.' } },
          { match: { lastMessageContains: 'follow-up' }, reply: { text: 'Follow-up answer.' } },
        ],
        channelsToml(dovecot, smtp),
      );
      const first = await startChannels(env);

      await deliver({ from: 'stranger@example.com', text: 'my first question, from a stranger' });
      await deliver({
        from: 'alice@example.com',
        text: 'my first question, forged',
        authResults: 'mx.oxy.test; spf=fail smtp.mailfrom=evil.test; dmarc=fail header.from=example.com',
      });
      await deliver({
        from: 'Alice <alice@example.com>',
        text: 'my first question',
        messageId: '<q1@example.com>',
      });
      const [answer] = await mailsTo('alice@example.com', 1, first.stderr);
      expect(answer!.parsed.text?.trim()).toBe('First answer.');
      expect(answer!.parsed.subject).toBe('Re: Question');
      expect(answer!.parsed.inReplyTo).toBe('<q1@example.com>');
      expect(answer!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
      // The stranger and the forged mail got nothing; the model was asked once.
      expect(smtp.to('stranger@example.com')).toEqual([]);
      expect(env.mock.requests).toHaveLength(1);
      expect(first.stderr()).toContain('ignoring messages from unknown sender stranger@example.com');
      expect(first.stderr()).not.toContain(BOT.password);
      expect(first.stderr()).not.toContain(SMTP.password);

      // A restart: nothing answered twice; mail that came meanwhile answered once.
      expect(await stop(first.child)).toBe(0);
      await deliver({ from: 'alice@example.com', text: 'my second question', messageId: '<q2@example.com>' });
      const second = await startChannels(env);
      const afterRestart = await mailsTo('alice@example.com', 2, second.stderr);
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
      const all = await mailsTo('alice@example.com', 3, second.stderr);
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
      expect(await stop(second.child)).toBe(0);
      expect(smtp.received.every((m) => m.to.length === 1 && m.to[0] === 'alice@example.com')).toBe(true);
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
  },
);
