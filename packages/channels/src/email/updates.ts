/**
 * One email as the channel contract's update. Everything in it is untrusted: it is answered
 * only when it is not automatic mail (no loops with auto-responders, bounces or lists), its
 * From is one address, not the bot's own, and (unless switched off) the receiving server
 * authenticated it for the From domain (auth.ts). The prompt is the new text only (text.ts) of
 * the body's text (body.ts: what its reader is shown, an alternative's HTML before its plain
 * text; nothing is fetched). A reply to a question (thread.ts) whose first line is one of its
 * choices is a button press. Attachments are described from the server's MIME structure, never
 * downloaded here.
 */
import { type ChannelAttachment, type ChannelUpdate, hasTerminalControls } from '@oxydra/types';
import type { MessageStructureObject } from 'imapflow';
import type { ParsedMail } from 'mailparser';
import { authenticationProblem } from './auth.js';
import { withoutQuotes } from './text.js';
import { chosen, encodeContext, MAX_MESSAGE_ID, questionChoices } from './thread.js';

export interface MailPolicy {
  /** The bot's own address, lower-cased. */
  botAddress: string;
  /** Other addresses delivering to the mailbox (aliases, forwarding), lower-cased. */
  aliases?: readonly string[] | undefined;
  /** Answer only mail whose To or Cc names the bot (or an alias): see `notAddressed`. */
  requireAddressed?: boolean | undefined;
  requireAuthentication: boolean;
  /** The receiving server's authserv-id (required when requireAuthentication). */
  authservId?: string | undefined;
}

export interface FetchedMail {
  cursor: string;
  /** "<UIDVALIDITY>:<UID>": the prefix of its attachments' ids. */
  key: string;
  parsed: ParsedMail;
  /** The body's text (body.ts's readMail). */
  text: string;
  structure?: MessageStructureObject | undefined;
}

export function emailUpdate(mail: FetchedMail, policy: MailPolicy): ChannelUpdate {
  const { cursor, parsed } = mail;
  const ignored = (reason: string): ChannelUpdate => ({ cursor, kind: 'ignored', reason });
  const from = Array.isArray(parsed.from) ? undefined : parsed.from?.value;
  const address = from?.length === 1 ? from[0]!.address?.toLowerCase() : undefined;
  if (!address) return ignored('no single From address');
  // Mail servers pass a quoted local part through (`"x\u009b2J\u202e"@evil.example`); the address
  // is printed in logs and `oxydra channels pair`, and no one's real address holds controls.
  if (hasTerminalControls(address)) return ignored('a From address with control or invisible characters');
  if (address === policy.botAddress) return ignored('mail from the bot itself');
  const automatic = automaticMail(parsed, address);
  if (automatic) return ignored(`automatic mail (${automatic}): never answered`);
  const repeated = repeatedHeader(parsed);
  if (repeated) return ignored(`more than one ${repeated} header (a mail has one at most)`);
  if (policy.requireAuthentication) {
    const problem = authenticationProblem(authHeaders(parsed), policy.authservId ?? '', address);
    if (problem) return ignored(`not authenticated: ${problem}`);
  }
  if (policy.requireAddressed !== false && !addressedToBot(parsed, policy)) {
    return ignored("not addressed to the bot: its To and Cc name neither the bot's address nor an alias");
  }
  const text = withoutQuotes(mail.text);
  const messageId = validId(parsed.messageId);
  const inReplyTo = validId(firstId(parsed.inReplyTo));
  const references = idList(parsed.references);
  const root = references[0] ?? inReplyTo ?? messageId ?? `<${mail.key}@mailbox>`;
  const id = messageId ?? `<${mail.key}@mailbox>`;
  const sender = { id: address, ...(from![0]!.name ? { name: from![0]!.name.slice(0, 100) } : {}) };
  const choices = questionChoices(inReplyTo);
  const value = choices ? chosen(text, choices) : undefined;
  if (value !== undefined) {
    return {
      cursor,
      kind: 'button',
      press: { id, conversation: root, chatId: address, sender, value, messageId: inReplyTo! },
    };
  }
  const botDomain = `@${policy.botAddress.split('@')[1]}>`;
  return {
    cursor,
    kind: 'message',
    message: {
      id,
      conversation: root,
      chatId: address,
      threadId: encodeContext({
        subject: parsed.subject ?? '',
        inReplyTo: id,
        references: [...(references.length > 0 ? references : inReplyTo ? [inReplyTo] : []), id],
      }),
      chatKind: 'private',
      sender,
      text,
      ...(inReplyTo
        ? { replyTo: { id: inReplyTo, fromBot: inReplyTo.toLowerCase().endsWith(botDomain) } }
        : {}),
      attachments: mail.structure ? attachmentsOf(mail.structure, mail.key) : [],
      edited: false,
      addressed: true,
    },
  };
}

/**
 * Headers RFC 5322 allows once at most. A second one is how a mail sent on keeps a valid DKIM
 * signature while saying something else: the signer signed the bottom-most, a reader may show
 * the top one (a `To: agent@...` put above the signed `To: bob@...`). Such mail is not answered.
 */
const SINGLE_HEADERS = [
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
];

/** The first header the mail carries twice of those it may carry once, or undefined. */
function repeatedHeader(parsed: ParsedMail): string | undefined {
  const seen = new Set<string>();
  for (const { key } of parsed.headerLines) {
    if (!SINGLE_HEADERS.includes(key)) continue;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

/**
 * Whether the mail's To or Cc names the bot or an alias. DKIM proves who wrote a mail, not to
 * whom it went: a signed mail an allowed person wrote to someone else, sent on unchanged to the
 * bot's mailbox (a DKIM replay), passes authentication, but its To and Cc (signed by every
 * usual signer) name its real recipients. Bcc'd mail fails this too: `require_addressed = false`.
 */
function addressedToBot(parsed: ParsedMail, policy: MailPolicy): boolean {
  const bot = new Set([policy.botAddress, ...(policy.aliases ?? [])]);
  return [parsed.to, parsed.cc].some((field) =>
    (Array.isArray(field) ? field : field ? [field] : []).some((object) =>
      object.value.some((entry) =>
        (entry.group ?? [entry]).some((one) => bot.has(one.address?.toLowerCase() ?? '')),
      ),
    ),
  );
}

/** The Authentication-Results values, topmost first. */
function authHeaders(parsed: ParsedMail): string[] {
  return parsed.headerLines
    .filter((h) => h.key === 'authentication-results')
    .map((h) => h.line.slice(h.line.indexOf(':') + 1));
}

/** Why this is automatic mail (RFC 3834 and the usual list and bounce marks), or undefined. */
function automaticMail(parsed: ParsedMail, address: string): string | undefined {
  const header = (key: string) => {
    const line = parsed.headerLines.find((h) => h.key === key)?.line;
    return line
      ?.slice(line.indexOf(':') + 1)
      .trim()
      .toLowerCase();
  };
  const auto = header('auto-submitted');
  if (auto !== undefined && !auto.startsWith('no')) return `Auto-Submitted: ${auto.slice(0, 40)}`;
  if (parsed.headerLines.some((h) => h.key.startsWith('list-'))) return 'a mailing list';
  if (/^(bulk|junk|list|auto_reply)$/.test(header('precedence') ?? '')) return 'Precedence';
  for (const key of ['x-autoreply', 'x-autorespond', 'x-auto-response', 'x-failed-recipients']) {
    if (header(key) !== undefined) return key;
  }
  if (/^multipart\/report/.test(header('content-type') ?? '')) return 'a delivery report';
  if (header('return-path') === '<>') return 'a bounce';
  if (/^(mailer-daemon|postmaster)@/.test(address)) return 'a mail system';
  return undefined;
}

function firstId(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value?.trim().split(/\s+/)[0];
}

function validId(id: string | undefined): string | undefined {
  return id !== undefined && id.length <= MAX_MESSAGE_ID && /^<[^<>\s]+@[^<>\s]+>$/.test(id) ? id : undefined;
}

function idList(value: string | string[] | undefined): string[] {
  const ids = (Array.isArray(value) ? value : (value ?? '').split(/\s+/)).slice(0, 200);
  return ids.map(validId).filter((id): id is string => id !== undefined);
}

/** The parts a person attached (not the text or HTML body), with ids "<UIDVALIDITY>:<UID>:<part>". */
export function attachmentsOf(root: MessageStructureObject, key: string): ChannelAttachment[] {
  const found: ChannelAttachment[] = [];
  const walk = (node: MessageStructureObject) => {
    const type = node.type.toLowerCase();
    const name = node.dispositionParameters?.filename ?? node.parameters?.name;
    const body =
      type.startsWith('multipart/') ||
      (/^text\/(plain|html)$/.test(type) && node.disposition !== 'attachment' && !name);
    if (type.startsWith('multipart/')) for (const child of node.childNodes ?? []) walk(child);
    else if (!body && node.part !== undefined && found.length < 50) {
      found.push({
        id: `${key}:${node.part}`,
        kind: kindOf(type),
        mimeType: type,
        ...(name ? { fileName: name.replace(/[/\\]/g, '_').slice(0, 200) } : {}),
        ...(node.size !== undefined ? { size: node.size } : {}),
      });
    }
  };
  walk(root);
  return found;
}

function kindOf(type: string): ChannelAttachment['kind'] {
  if (type.startsWith('image/')) return 'photo';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  return 'document';
}

/** The MIME tree's number of parts and depth (nested messages count), for refusing hostile mail. */
export function structureSize(root: MessageStructureObject): { parts: number; depth: number } {
  let parts = 0;
  let depth = 0;
  const walk = (node: MessageStructureObject, level: number) => {
    parts += 1;
    depth = Math.max(depth, level);
    if (parts > 10_000) return;
    for (const child of node.childNodes ?? []) walk(child, level + 1);
  };
  walk(root, 1);
  return { parts, depth };
}
