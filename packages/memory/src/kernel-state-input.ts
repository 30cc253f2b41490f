/**
 * What the kernel's state store accepts: names from a small alphabet and values that survive a
 * JSON round trip unchanged. JSON.stringify alone would quietly drop `undefined` and functions,
 * turn NaN into null and a Map into {}; a caller would then load something other than what it
 * saved. Here each of those is refused, naming where in the value it sits.
 */
import { MemoryValidationError } from './errors.js';

/** Largest stored value: its JSON text, in UTF-8 bytes. */
export const MAX_STATE_VALUE_BYTES = 1024 * 1024;
/** Longest category or name. */
export const MAX_STATE_NAME_CHARS = 128;
/** How many names `list` gives by default, and at most. */
export const DEFAULT_STATE_LIST_LIMIT = 1000;
export const MAX_STATE_LIST_LIMIT = 10_000;
/** Deepest nesting of arrays and objects (SQLite's JSON functions stop at 1000). */
export const MAX_STATE_VALUE_DEPTH = 512;

// Printable ASCII without spaces or quotes: safe in paths, URLs, logs and shell commands.
const NAME = /^[A-Za-z0-9._:/-]*$/;
const ALPHABET = 'letters, digits and . _ : / -';

/** A category or name: 1-128 characters of ALPHABET. A prefix may also be empty. */
export function checkStateName(field: 'category' | 'name' | 'prefix', value: unknown): string {
  const min = field === 'prefix' ? 0 : 1;
  if (
    typeof value !== 'string' ||
    value.length < min ||
    value.length > MAX_STATE_NAME_CHARS ||
    !NAME.test(value)
  ) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
    throw new MemoryValidationError(
      field,
      `state ${field} must be ${min}-${MAX_STATE_NAME_CHARS} characters of ${ALPHABET}, got ${shown}`,
    );
  }
  return value;
}

/** `path` is where in the value the fault is: '' for the value itself, `.a[2]` inside it. */
function where(path: string): string {
  return path === '' ? 'state value' : `state value at ${path}`;
}

function refuse(path: string, what: string, fix: string): never {
  throw new MemoryValidationError('value', `${where(path)} is ${what}, which JSON cannot store: ${fix}`);
}

/** Throws unless `value` is null, a boolean, a string, a finite number, or a plain array or object of them. */
function checkJsonValue(value: unknown, path: string, ancestors: object[]): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) refuse(path, String(value), 'store a finite number, a string or null');
      return;
    case 'undefined':
      refuse(path, 'undefined', 'leave the key out or use null');
      break;
    case 'bigint':
      refuse(path, 'a BigInt', 'store it as a string');
      break;
    case 'function':
    case 'symbol':
      refuse(path, `a ${typeof value}`, 'store data only');
      break;
  }
  if (value === null) return;
  const object = value as object;
  if (ancestors.includes(object)) refuse(path, 'a reference back to its own container', 'remove the cycle');
  if (ancestors.length >= MAX_STATE_VALUE_DEPTH) {
    throw new MemoryValidationError(
      'value',
      `${where(path)} nests deeper than ${MAX_STATE_VALUE_DEPTH} levels: flatten it`,
    );
  }
  ancestors.push(object);
  if (Array.isArray(object)) {
    // By index, not forEach: a hole would come back as null, so it is refused like undefined.
    for (let index = 0; index < object.length; index++) {
      checkJsonValue(object[index], `${path}[${index}]`, ancestors);
    }
  } else {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const kind =
        (proto?.constructor as { name?: string } | undefined)?.name || 'an object with a prototype';
      refuse(path, `a ${kind}`, 'convert it to a plain object, array or string first');
    }
    for (const [key, item] of Object.entries(object)) {
      checkJsonValue(
        item,
        /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`,
        ancestors,
      );
    }
  }
  ancestors.pop();
}

/** The JSON text to store for `value`; throws MemoryValidationError when it cannot be stored faithfully. */
export function encodeStateValue(value: unknown): string {
  checkJsonValue(value, '', []);
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_STATE_VALUE_BYTES) {
    throw new MemoryValidationError(
      'value',
      `state value is ${bytes} bytes as JSON; the limit is 1 MiB (${MAX_STATE_VALUE_BYTES} bytes): store less, or split it under several names`,
    );
  }
  return json;
}

/** A compare-and-set's expected version: undefined (none), or an integer >= 0 (0: no value yet). */
export function checkExpectedVersion(value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new MemoryValidationError(
      'expectedVersion',
      `expectedVersion must be an integer >= 0 (0: no value yet), got ${value}`,
    );
  }
  return value;
}

/** `prefix` followed by a character above every name character: names starting with it sort below. */
export function prefixEnd(prefix: string): string {
  // Names are ASCII from [A-Za-z0-9._:/-], all below '~' (0x7e), and compared bytewise.
  return `${prefix}~`;
}
