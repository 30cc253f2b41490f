/**
 * The rolling summary's text when no summary model writes it (or it failed): mechanical, no model
 * call, after the original's format. The previous summary, then up to 24 bullets
 * `- [seq] role: content` for the most recently condensed messages, each at most 180 characters,
 * the whole at most 4000. When something must go, the oldest goes first: the start of the
 * previous summary, then the oldest bullets. `seq` is the message's 1-based position in the
 * conversation (system messages not counted), so a bullet can be traced to the stored message.
 */
import { type Message, messageText } from '@oxydra/types';

export const SUMMARY_HEADER = 'Rolling session summary:';
export const CONDENSED_HEADER = 'Recent condensed turns:';
export const MAX_SUMMARY_ENTRIES = 24;
export const MAX_ENTRY_CHARS = 180;
export const MAX_SUMMARY_CHARS = 4000;

const ELLIPSIS = '…';

/** The system message that carries the summary to the model. */
export function summaryMessage(text: string): Message {
  return { role: 'system', content: `${SUMMARY_HEADER}\n${text}` };
}

/**
 * `previous` (a summary this function or a summary model wrote) extended with bullets for
 * `messages`, the first of which is conversation message number `startSeq`.
 */
export function mechanicalSummary(
  previous: string | undefined,
  messages: readonly Message[],
  startSeq: number,
): string {
  const { prefix, entries } = splitPrevious(previous?.trim() ?? '');
  const added = messages.map((message, i) => clipEnd(`- [${startSeq + i}] ${describe(message)}`));
  let kept = [...entries, ...added].slice(-MAX_SUMMARY_ENTRIES);
  let section = render(kept);
  while (section.length > MAX_SUMMARY_CHARS) {
    kept = kept.slice(1);
    section = render(kept);
  }
  const room = MAX_SUMMARY_CHARS - section.length - (section === '' ? 0 : 1);
  const head = clipStart(prefix, room);
  return [head, section].filter((part) => part !== '').join('\n');
}

function render(entries: readonly string[]): string {
  return entries.length === 0 ? '' : [CONDENSED_HEADER, ...entries].join('\n');
}

/**
 * A previous mechanical summary: its free text and its bullets, so new bullets join the list
 * instead of starting a second one. Anything else (a summary model's prose) is all free text.
 */
function splitPrevious(previous: string): { prefix: string; entries: string[] } {
  const at = previous.lastIndexOf(CONDENSED_HEADER);
  if (at < 0 || (at > 0 && previous[at - 1] !== '\n')) return { prefix: previous, entries: [] };
  const lines = previous
    .slice(at + CONDENSED_HEADER.length)
    .split('\n')
    .filter((line) => line !== '');
  if (!lines.every((line) => line.startsWith('- ['))) return { prefix: previous, entries: [] };
  return { prefix: previous.slice(0, at).trim(), entries: lines };
}

/** One line: role, then what the message said, whitespace collapsed. */
function describe(message: Message): string {
  const text = messageText(message).replace(/\s+/g, ' ').trim();
  switch (message.role) {
    case 'system':
      return `system: ${text}`;
    case 'user': {
      // Attachment bytes never go into a summary; their number says something was shown.
      const media =
        typeof message.content === 'string'
          ? 0
          : message.content.filter((part) => part.type === 'attachment').length;
      return `user: ${joined(text, media > 0 ? `[${media} attachment${media === 1 ? '' : 's'}]` : '')}`;
    }
    case 'assistant': {
      const calls = (message.toolCalls ?? []).map((call) => call.name);
      return `assistant: ${joined(text, calls.length > 0 ? `(called ${calls.join(', ')})` : '') || '(no text)'}`;
    }
    case 'tool':
      return `tool: ${message.toolName}${message.isError ? ' failed' : ''}: ${text}`;
  }
}

function joined(...parts: string[]): string {
  return parts.filter((part) => part !== '').join(' ');
}

/** At most `max` UTF-16 units, cut at the end, never inside a surrogate pair. */
function clipEnd(text: string, max = MAX_ENTRY_CHARS): string {
  if (text.length <= max) return text;
  let cut = max - ELLIPSIS.length;
  if (isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
  return text.slice(0, cut) + ELLIPSIS;
}

/** At most `max` UTF-16 units, keeping the end (the most recent part of an older summary). */
function clipStart(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return '';
  let from = text.length - (max - ELLIPSIS.length);
  if (isLowSurrogate(text.charCodeAt(from))) from += 1;
  return ELLIPSIS + text.slice(from);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
