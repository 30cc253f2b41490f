/**
 * Test mail as a sender's mail server would deliver it: composed by nodemailer's MailComposer
 * (real MIME), with the receiving server's Authentication-Results header on top when asked,
 * written as the server writes it (never as MIME encoded-words, which MailComposer would make
 * of a value with quotes in it).
 */
import type { Options as MailOptions } from 'nodemailer/lib/mailer';

export interface TestMail extends MailOptions {
  /**
   * The receiving server's verdict, as `Authentication-Results: <value>` (e.g.
   * "mx.test; dmarc=pass header.from=example.com"); several headers in order, topmost first.
   */
  authResults?: string | string[];
}

export async function composeMail(mail: TestMail): Promise<Buffer> {
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer');
  const { authResults, ...options } = mail;
  const results = authResults === undefined ? [] : Array.isArray(authResults) ? authResults : [authResults];
  const headers = [
    ...results.map((value) => ({ key: 'Authentication-Results', value: { prepared: true, value } })),
    ...headerList(options.headers),
  ];
  return new MailComposer({ ...options, headers }).compile().build();
}

function headerList(headers: MailOptions['headers']): { key: string; value: string }[] {
  if (headers === undefined) return [];
  if (Array.isArray(headers)) return headers as { key: string; value: string }[];
  return Object.entries(headers).flatMap(([key, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => ({
      key,
      value: typeof v === 'string' ? v : (v as { value: string }).value,
    })),
  );
}
