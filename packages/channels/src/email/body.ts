/**
 * The text of a mail's body, for the prompt: what the sender's reader is shown, part by part.
 *
 * - A multipart/alternative is read as the mail program shows it: its HTML alternative (the
 *   last one holding HTML, as the richest a program can show), through html-text.ts, which
 *   keeps only what a reader sees. Its plain alternative is read only when there is no HTML or
 *   the HTML shows no text: words only in the plain half (an attacker's instructions) reached
 *   the prompt while the person reading the mail never saw them.
 * - Other parts (multipart/mixed, related, an inline forwarded mail) are read one after the
 *   other: a plain body and an HTML part beside it (not an alternative of it) give both texts.
 *
 * mailparser flattens every text part into one string (its own HTML conversion kept hidden
 * text), so its tree of parts is read instead: the same parse, the parts it decoded. The tree
 * is not part of mailparser's declared API, so packages/channels pins mailparser exactly (the
 * published package asks for that one version too): a new version is taken on purpose, with
 * these tests run against it.
 */
import { type AddressObject, MailParser, type ParsedMail } from 'mailparser';

/** mailparser's decoded part: the fields of its (undeclared) tree node read here. */
interface Part {
  contentType?: unknown;
  textContent?: unknown;
  showMeta?: unknown;
  headers?: unknown;
  children?: unknown;
}

/** A mail's MIME parsed (nothing fetched: image and text links stay text) and its body's text. */
export async function readMail(source: Buffer | string): Promise<{ parsed: ParsedMail; text: string }> {
  const { parsed, tree } = await parse(typeof source === 'string' ? Buffer.from(source) : source);
  return { parsed, text: (await partText(tree)).trim() };
}

/** One pass of mailparser: the parsed headers, and the tree of parts it read the text from. */
function parse(source: Buffer): Promise<{ parsed: ParsedMail; tree: Part }> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({
      skipImageLinks: true,
      skipTextLinks: true,
      skipHtmlToText: true,
      skipTextToHtml: true,
    });
    parser.on('error', reject);
    parser.on('data', (data) => {
      // Attachments are described from the IMAP structure (updates.ts), never kept from here.
      if (data.type === 'attachment') {
        data.content.resume();
        data.release?.();
      }
    });
    parser.on('end', () => {
      const tree = (parser as unknown as { tree?: unknown }).tree;
      // A mailparser that no longer keeps its tree would leave every mail's text out, silently.
      if (!isPart(tree) || !parser.headers || !parser.headerLines)
        return reject(new Error('mailparser gave no tree of MIME parts'));
      const { headers, headerLines, subject, references, date, to, from, cc, bcc, messageId } = parser;
      const { inReplyTo, replyTo } = parser;
      const parsed: ParsedMail = {
        attachments: [],
        headers,
        headerLines,
        html: parser.html,
        ...(parser.text !== false ? { text: parser.text } : {}),
        ...{ subject, references, date, to, from, cc, bcc, messageId, inReplyTo, replyTo },
      };
      resolve({ parsed, tree });
    });
    parser.end(source);
  });
}

function isPart(value: unknown): value is Part {
  return typeof value === 'object' && value !== null;
}

function childrenOf(part: Part): Part[] {
  return Array.isArray(part.children) ? part.children.filter(isPart) : [];
}

function hasHtml(part: Part): boolean {
  return part.contentType === 'text/html' || childrenOf(part).some(hasHtml);
}

/** The text a reader is shown of `part` and the parts inside it. */
async function partText(part: Part): Promise<string> {
  const texts: string[] = [];
  if (part.showMeta) texts.push(forwardedHeader(part));
  const content = typeof part.textContent === 'string' ? part.textContent : '';
  if (content.trim() !== '') {
    if (part.contentType === 'text/html') {
      const { visibleText } = await import('./html-text.js');
      texts.push(await visibleText(content));
    } else texts.push(content); // text/plain, or a bounce's message/delivery-status
  }
  const children = childrenOf(part);
  if (part.contentType === 'multipart/alternative') texts.push(await alternativeText(children));
  else for (const child of children) texts.push(await partText(child));
  return texts
    .map((text) => text.trim())
    .filter((text) => text !== '')
    .join('\n\n');
}

/** The alternative a mail program shows: the last holding HTML, else (or when it shows nothing) the last with text. */
async function alternativeText(alternatives: Part[]): Promise<string> {
  const html = alternatives.findLast(hasHtml);
  if (html) {
    const shown = await partText(html);
    if (shown !== '') return shown;
  }
  for (const alternative of alternatives.toReversed()) {
    if (alternative === html) continue;
    const text = await partText(alternative);
    if (text !== '') return text;
  }
  return '';
}

/**
 * The header block a mail program shows above a forwarded mail's text, under an "Original
 * Message" line: text.ts cuts the prompt there (a forwarded mail is someone else's words), even
 * when its From has no address to cut at.
 */
function forwardedHeader(part: Part): string {
  const headers = part.headers instanceof Map ? (part.headers as Map<string, unknown>) : new Map();
  const lines = ['-----Original Message-----'];
  for (const key of ['From', 'Subject', 'Date', 'To', 'Cc']) {
    const value = [headers.get(key.toLowerCase())].flat().at(-1);
    if (value instanceof Date) lines.push(`${key}: ${value.toUTCString()}`);
    else if (typeof value === 'string') lines.push(`${key}: ${value}`);
    else if (value) lines.push(`${key}: ${(value as AddressObject).text}`);
  }
  return lines.join('\n');
}
