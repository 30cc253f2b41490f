/**
 * Validation of note content and tags, with Oxydra's limits. Messages go back to the model
 * through memory_save / memory_update, so each says what to change.
 */

import { withoutNul } from '@oxydra/types';
import { MemoryValidationError } from './errors.js';

/** 32 KiB of UTF-8: a note is one fact or decision, not a document. */
export const MAX_NOTE_BYTES = 32 * 1024;
export const MAX_NOTE_TAGS = 16;
export const MAX_NOTE_TAG_CHARS = 64;
/** How many notes `list` gives by default, and at most. */
export const DEFAULT_NOTE_LIST_LIMIT = 50;
export const MAX_NOTE_LIST_LIMIT = 1000;

/** The content, trimmed and without NUL characters; throws if blank or over MAX_NOTE_BYTES. */
export function checkNoteContent(content: unknown): string {
  if (typeof content !== 'string') {
    throw new MemoryValidationError('content', 'note content must be a string of text');
  }
  const clean = withoutNul(content).trim();
  if (clean === '') {
    throw new MemoryValidationError(
      'content',
      'note content is empty: write the fact to remember in `content`',
    );
  }
  const bytes = Buffer.byteLength(clean, 'utf8');
  if (bytes > MAX_NOTE_BYTES) {
    throw new MemoryValidationError(
      'content',
      `note content is ${bytes} bytes; the limit is ${MAX_NOTE_BYTES} bytes (32 KiB): keep the essentials or split it into several notes`,
    );
  }
  return clean;
}

/** Tags without NUL characters, trimmed, lower-cased and de-duplicated (first occurrence kept); throws past the limits. */
export function normalizeTags(tags: unknown): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags))
    throw new MemoryValidationError('tags', 'tags must be a list of strings, e.g. ["preferences"]');
  const seen = new Set<string>();
  tags.forEach((tag, index) => {
    if (typeof tag !== 'string') {
      throw new MemoryValidationError(
        'tags',
        `tag ${index + 1} is not a string; tags are short words like "preferences"`,
      );
    }
    const clean = withoutNul(tag).trim().toLowerCase();
    if (clean === '')
      throw new MemoryValidationError('tags', `tag ${index + 1} is empty; remove it or give it a name`);
    const length = [...clean].length;
    if (length > MAX_NOTE_TAG_CHARS) {
      throw new MemoryValidationError(
        'tags',
        `tag "${[...clean].slice(0, 20).join('')}…" is ${length} characters; tags are at most ${MAX_NOTE_TAG_CHARS}`,
      );
    }
    seen.add(clean);
  });
  if (seen.size > MAX_NOTE_TAGS) {
    throw new MemoryValidationError(
      'tags',
      `${seen.size} distinct tags given; a note has at most ${MAX_NOTE_TAGS}: keep the most useful ones`,
    );
  }
  return [...seen];
}
