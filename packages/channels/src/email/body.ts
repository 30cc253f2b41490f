/**
 * The text of a mail's body, for the prompt. Plain text is preferred: it is what the sender's
 * program wrote for a reader without HTML. A mail with none (HTML only, or a plain part left
 * empty) is read from its HTML by html-text.ts, which keeps only what a reader is shown; the
 * adapter parses with mailparser's own HTML conversion off (it kept hidden text), and that
 * module loads only with the first such mail.
 */
import { type ParsedMail, simpleParser } from 'mailparser';

/** A mail's MIME parsed (nothing fetched: image and text links stay text) and its body's text. */
export async function readMail(source: Buffer | string): Promise<{ parsed: ParsedMail; text: string }> {
  // mailparser's own HTML conversion kept text the HTML hides: mailText reads it instead.
  const parsed = await simpleParser(source, {
    skipImageLinks: true,
    skipTextLinks: true,
    skipHtmlToText: true,
  });
  return { parsed, text: await mailText(parsed) };
}

async function mailText(parsed: ParsedMail): Promise<string> {
  const plain = parsed.text ?? '';
  if (plain.trim() !== '' || typeof parsed.html !== 'string') return plain;
  const { visibleText } = await import('./html-text.js');
  return visibleText(parsed.html);
}
