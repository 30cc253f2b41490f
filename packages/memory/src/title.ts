/** Session titles: set by people (rename) or taken from the first thing the user said. */
import { type Message, messageText } from '@oxydra/types';
import { MemoryValidationError } from './errors.js';

export const MAX_TITLE_CHARS = 200;
/** Derived titles are shorter: they label a list row, not the whole request. */
export const DERIVED_TITLE_CHARS = 80;

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Cut to `max` characters (code points, so no emoji is split), marking the cut with "…". */
function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

export function checkTitle(title: string): string {
  const clean = typeof title === 'string' ? collapse(title) : '';
  if (clean === '') throw new MemoryValidationError('title', 'title must contain some text');
  const length = [...clean].length;
  if (length > MAX_TITLE_CHARS) {
    throw new MemoryValidationError(
      'title',
      `title is ${length} characters; the limit is ${MAX_TITLE_CHARS}`,
    );
  }
  return clean;
}

/** The first user message's text, one line, clipped; undefined if no user message has text. */
export function deriveTitle(messages: readonly Message[]): string | undefined {
  for (const message of messages) {
    if (message.role !== 'user') continue;
    const text = collapse(messageText(message));
    if (text !== '') return clip(text, DERIVED_TITLE_CHARS);
  }
  return undefined;
}
