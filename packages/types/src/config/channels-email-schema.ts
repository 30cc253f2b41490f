/**
 * `[channels.email]`: an inbox agents answer (issue 34). Mail comes in over IMAP (a mailbox the
 * bot reads), answers go out over SMTP, one reply per message in the thread it came in. The
 * passwords are never in the file: `password_env` names the variable holding each.
 *
 * A From address is trivially forged, so an allowlisted From is not enough: by default the
 * receiving server's `Authentication-Results` header (from `trusted_authserv_id`) must show DMARC,
 * or DKIM or SPF aligned with the From domain, as passed (docs/channels.md, "Email").
 */
import { z } from 'zod';
import { once } from '../once.js';
import { channelHostKeys, channelSenderSchema, checkSenderIds, ENV_NAME } from './channels-schema-parts.js';

/** A server name or address; `tls = "none"` is accepted only for a loopback one. */
const HOST = /^[A-Za-z0-9.:[\]-]{1,253}$/;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/i;

function serverSchema(what: 'IMAP' | 'SMTP', defaultPort: number) {
  return z
    .strictObject({
      host: z.string().regex(HOST, 'a host name or IP address').optional().describe(`the ${what} server`),
      port: z.int().min(1).max(65_535).default(defaultPort).describe(`the ${what} port`),
      tls: z
        .enum(['implicit', 'starttls', 'none'])
        .default('implicit')
        .describe(
          'implicit: TLS from the start (993/465); starttls: upgraded, and refused without it; none: plain text, only to a loopback host',
        ),
      user: z.string().min(1).max(320).optional().describe('the login name (often the address)'),
      password_env: z
        .string()
        .regex(ENV_NAME, 'an environment variable name, e.g. "EMAIL_PASSWORD"')
        .optional()
        .describe('the environment variable holding the password; required when enabled'),
    })
    .superRefine((server, ctx) => {
      if (server.tls === 'none' && server.host !== undefined && !LOOPBACK.test(server.host)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tls'],
          message: `tls = "none" sends the password in clear text; it is allowed only to a loopback host, not ${server.host}: use "implicit" or "starttls"`,
        });
      }
    });
}

const ADDRESS = /^[^\s@<>"]{1,64}@[A-Za-z0-9.-]{1,253}$/;

const emailSenderSchema = once(() =>
  channelSenderSchema(
    'Email',
    z.string().regex(ADDRESS, 'an email address, e.g. "alice@example.com"').toLowerCase(),
  ),
);

export const emailChannelSchema = once(() =>
  z
    .strictObject({
      enabled: z.boolean().default(false).describe('`oxydra channels run` answers this mailbox'),
      address: z
        .string()
        .regex(ADDRESS, 'an email address, e.g. "agent@example.com"')
        .optional()
        .describe("the bot's address: the From of every answer; mail from it is never answered"),
      aliases: z
        .array(z.string().regex(ADDRESS, 'an email address, e.g. "agent@old.example.com"').toLowerCase())
        .max(50)
        .default([])
        .describe(
          'other addresses whose mail arrives in this mailbox (an alias, a forwarding address): mail addressed to one counts as addressed to the bot',
        ),
      require_addressed: z
        .boolean()
        .default(true)
        .describe(
          "answer only mail whose To or Cc names the bot's address or an alias; false also answers Bcc'd mail, and with it a signed mail an allowed person wrote to someone else that was sent on to this mailbox (a DKIM replay)",
        ),
      imap: serverSchema('IMAP', 993).prefault({}).describe('where mail is read'),
      smtp: serverSchema('SMTP', 465).prefault({}).describe('where answers are sent'),
      mailbox: z.string().min(1).max(200).default('INBOX').describe('the IMAP mailbox read'),
      poll_interval_secs: z
        .int()
        .min(1)
        .max(1740)
        .default(60)
        .describe('how long one wait for new mail lasts (IMAP IDLE when the server has it, else a poll)'),
      require_authentication: z
        .boolean()
        .default(true)
        .describe(
          'answer only mail whose Authentication-Results (from trusted_authserv_id) pass for the From domain; false is DANGEROUS: anyone can forge an allowed From',
        ),
      trusted_authserv_id: z
        .string()
        .regex(/^[A-Za-z0-9.-]{1,253}$/, 'a host name, e.g. "mx.example.com"')
        .optional()
        .describe(
          "the receiving server's authserv-id in Authentication-Results (the first word of the header it adds); required unless require_authentication = false",
        ),
      max_message_bytes: z
        .int()
        .min(1024)
        .max(50_000_000)
        .default(10_000_000)
        .describe('larger messages are not downloaded (nor answered)'),
      max_message_length: z
        .int()
        .min(1000)
        .max(1_000_000)
        .default(100_000)
        .describe('longer answers are split into several emails'),
      senders: z
        .array(emailSenderSchema())
        .default([])
        .describe('who may write (addresses, any case); anyone else gets no answer (logged once per sender)'),
      // What the host does with the channel's messages, the same keys on every platform.
      ...channelHostKeys(),
    })
    .superRefine((email, ctx) => {
      if (email.enabled) {
        const needs: [string[], unknown, string][] = [
          [['address'], email.address, 'the address answers come from'],
          [['imap', 'host'], email.imap.host, 'the IMAP server'],
          [['imap', 'user'], email.imap.user, 'the IMAP login'],
          [['imap', 'password_env'], email.imap.password_env, 'the variable holding the IMAP password'],
          [['smtp', 'host'], email.smtp.host, 'the SMTP server'],
          [['smtp', 'user'], email.smtp.user, 'the SMTP login'],
          [['smtp', 'password_env'], email.smtp.password_env, 'the variable holding the SMTP password'],
        ];
        for (const [path, value, what] of needs) {
          if (value === undefined)
            ctx.addIssue({
              code: 'custom',
              path,
              message: `enabled = true needs ${path.join('.')}: ${what}`,
            });
        }
        if (email.require_authentication && email.trusted_authserv_id === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['trusted_authserv_id'],
            message:
              'enabled = true needs trusted_authserv_id, the id your mail server writes in Authentication-Results (e.g. "mx.example.com"), so forged From addresses are refused',
          });
        }
      }
      checkSenderIds(email.senders, ctx);
    }),
);

export type EmailChannelConfig = z.output<ReturnType<typeof emailChannelSchema>>;
