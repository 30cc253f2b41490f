/** Checks shared by the stores: short identifying strings and paging numbers. */
import { MemoryValidationError } from './errors.js';

/** Longest id, user id, agent name or state key: ids are UUIDs or channel-made names. */
const MAX_ID_CHARS = 200;

// Control characters make ids unprintable in logs and the CLI.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkId(field: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new MemoryValidationError(field, `${field} must be a non-empty string`);
  }
  if (value.length > MAX_ID_CHARS) {
    throw new MemoryValidationError(
      field,
      `${field} is ${value.length} characters; the limit is ${MAX_ID_CHARS}`,
    );
  }
  if (CONTROL.test(value))
    throw new MemoryValidationError(field, `${field} must not contain control characters`);
  return value;
}

export function checkOptionalId(field: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : checkId(field, value);
}

export function checkCount(field: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new MemoryValidationError(field, `${field} must be an integer from 0 to ${max}, got ${value}`);
  }
  return value;
}
