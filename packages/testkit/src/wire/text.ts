/** Reading text out of request bodies, whose content can be a string or nested parts. */
import type { JsonObject } from './types.js';

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Array elements of `obj[key]`, or none. */
export function arrayOf(obj: unknown, key: string): unknown[] {
  const value = isObject(obj) ? obj[key] : undefined;
  return Array.isArray(value) ? value : [];
}

/**
 * The text of a content value: a string as is; parts joined, taking each part's `text`, or the
 * nested `content` / `output` of tool results. Media parts contribute nothing.
 */
export function contentText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(contentText).join('');
  if (!isObject(value)) return '';
  if (typeof value.text === 'string') return value.text;
  if (value.content !== undefined) return contentText(value.content);
  if (value.output !== undefined) return contentText(value.output);
  return '';
}

/** Every string inside a JSON value, joined by newlines (Gemini tool results are objects). */
export function stringLeaves(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(stringLeaves).filter(Boolean).join('\n');
  if (isObject(value)) return Object.values(value).map(stringLeaves).filter(Boolean).join('\n');
  return value === null || value === undefined ? '' : String(value);
}

/** The last element satisfying `test`, searching from the end. */
export function findLast<T>(items: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as T;
    if (test(item)) return item;
  }
  return undefined;
}
