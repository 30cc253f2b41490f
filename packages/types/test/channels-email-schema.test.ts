/** `[channels.email]`: what enabling needs, the authentication rule, plain text only to loopback, lower-cased senders. */
import { describe, expect, it } from 'vitest';
import { emailChannelSchema } from '../src/config/channels-email-schema.js';

const server = { host: 'mail.example.com', user: 'agent@example.com', password_env: 'MAIL_PASSWORD' };
const enabled = {
  enabled: true,
  address: 'agent@example.com',
  trusted_authserv_id: 'mx.example.com',
  imap: server,
  smtp: server,
};
const problems = (value: unknown) => {
  const result = emailChannelSchema().safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('emailChannelSchema', () => {
  it('defaults to off, TLS, INBOX and authentication required', () => {
    const parsed = emailChannelSchema().parse({});
    expect(parsed).toMatchObject({
      enabled: false,
      mailbox: 'INBOX',
      require_authentication: true,
      require_addressed: true,
      aliases: [],
      imap: { port: 993, tls: 'implicit' },
      smtp: { port: 465, tls: 'implicit' },
    });
    expect(problems(enabled)).toEqual([]);
  });

  it('enabled needs the servers, logins, password variables and the trusted authserv-id', () => {
    expect(problems({ enabled: true })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^address: /),
        expect.stringMatching(/^imap.password_env: /),
        expect.stringMatching(/^smtp.host: /),
        expect.stringMatching(/^trusted_authserv_id: .*forged/),
      ]),
    );
    // Switching authentication off (dangerous, documented) lifts only that requirement.
    const { trusted_authserv_id: _, ...rest } = enabled;
    expect(problems({ ...rest, require_authentication: false })).toEqual([]);
  });

  it('a password is never a key; tls = "none" only to a loopback host', () => {
    expect(problems({ ...enabled, imap: { ...server, password: 'x' } })[0]).toMatch(/password/);
    expect(problems({ ...enabled, smtp: { ...server, tls: 'none' } })[0]).toMatch(/^smtp.tls: .*loopback/);
    expect(problems({ ...enabled, smtp: { ...server, host: '127.0.0.1', tls: 'none' } })).toEqual([]);
  });

  it('sender addresses are lower-cased, and one address maps to one user', () => {
    const parsed = emailChannelSchema().parse({ senders: [{ platform_ids: ['Alice@Example.COM'] }] });
    expect(parsed.senders[0]!.platform_ids).toEqual(['alice@example.com']);
    expect(
      problems({ senders: [{ platform_ids: ['a@x.test'] }, { platform_ids: ['A@X.test'] }] })[0],
    ).toMatch(/one id maps to one user/);
    expect(problems({ senders: [{ platform_ids: ['not an address'] }] })[0]).toMatch(/an email address/);
  });
});
