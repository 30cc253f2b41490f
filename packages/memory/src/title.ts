/**
 * Session titles: set by people (rename) or taken from the first thing the user said. Both are
 * stored as one clean line (`oneLine` from @oxydra/types, the same cleaning `sessionName` applies
 * when it shows them), so no terminal escape or control character is kept in the database.
 */
import { type Message, messageText, oneLine, SESSION_NAME_CHARS } from '@oxydra/types';
import { MemoryValidationError } from './errors.js';

export const MAX_TITLE_CHARS = 200;
/** Derived titles are shorter: they label a list row, not the whole request. */
export const DERIVED_TITLE_CHARS = SESSION_NAME_CHARS;

export function checkTitle(title: string): string {
  const clean = typeof title === 'string' ? oneLine(title) : '';
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
    const text = oneLine(messageText(message), DERIVED_TITLE_CHARS);
    if (text !== '') return text;
  }
  return undefined;
}
