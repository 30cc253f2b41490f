/**
 * `@oxydra/memory/store-input`: the input rules of the memory stores' contracts (sessions,
 * notes, kernel state), for another backend's package (@oxydra/store-postgres) to apply the same
 * rules without loading the libSQL stores. One home: the libSQL stores import this same module.
 */
export { CorruptEventError, MemoryValidationError } from './errors.js';
export {
  checkExpectedVersion,
  checkStateName,
  DEFAULT_STATE_LIST_LIMIT,
  encodeStateValue,
  MAX_STATE_LIST_LIMIT,
  prefixEnd,
} from './kernel-state-input.js';
export {
  COMMON_WORD_CHUNKS,
  COUNTED_WORDS,
  MATCH_BUDGET_CHUNKS,
  type QueryTerms,
  queryTerms,
} from './store/libsql/search-index/fts-query.js';

import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AttachmentPart,
  type ContentPart,
  type Message,
  messageText,
  type NewSession,
  type NoteChangeEvent,
  type NoteChangeHook,
  type NoteWriteResult,
  oneLine,
  type Role,
  SESSION_NAME_CHARS,
  type SearchModel,
  SessionExistsError,
  SessionLimitError,
  type SessionRoom,
  type TurnEnd,
  withoutNul,
} from '@oxydra/types';
import { MemoryValidationError } from './errors.js';

/**
 * Ids and timestamps. Session ids are UUID version 7 (RFC 9562): a millisecond timestamp
 * first, so ids sort by creation time as plain strings, with a counter in the 12 `rand_a` bits
 * (RFC 9562 method 1) so ids made in the same millisecond, or after the clock stepped back,
 * still sort in creation order within a process.
 */

let lastMs = 0;
let counter = 0;

/** A new UUID v7 string, e.g. `01890a5d-ac96-774b-bcce-b302099a8057`. */
export function newSessionId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    // Start low in the 12-bit range so the same millisecond leaves room for 2048+ more ids.
    counter = randomBytes(2).readUInt16BE(0) & 0x7ff;
  } else if (++counter > 0xfff) {
    // 4096 ids in one millisecond, or the clock went back: borrow the next millisecond.
    lastMs += 1;
    counter = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Notes are `note-<uuid v4>`, the form the memory tools and Oxydra's scrubber recognise. */
export function newNoteId(): string {
  return `note-${randomUUID()}`;
}

/** Timestamps are ISO 8601 UTC strings with milliseconds: readable in SQL and sortable as text. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Checks shared by the stores: short identifying strings and paging numbers. */

/** Longest id, user id, agent name or state key: ids are UUIDs or channel-made names. */
const MAX_ID_CHARS = 200;

// Control characters make ids unprintable in logs and the CLI.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkId(field: string, value: string): string {
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

/**
 * Session titles: set by people (rename) or taken from the first thing the user said. Both are
 * stored as one clean line (`oneLine` from @oxydra/types, the same cleaning `sessionName` applies
 * when it shows them), so no terminal escape or control character is kept in the database.
 */

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

/**
 * What a SessionStore accepts (every backend: the libSQL file here, PostgreSQL in
 * @oxydra/store-postgres): new sessions' fields, list paging, the literal search text, and
 * session-state writes. Bad input is refused with a MemoryValidationError naming the field.
 */

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;
/** Longest search text: longer than any id, about a title's length. */
export const MAX_SEARCH_CHARS = 500;

/** A LIKE pattern matching `text` anywhere, its wildcards escaped (with `ESCAPE '\\'`). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** The search text without NUL characters, or undefined for none (empty); refuses a non-string or an over-long one. */
export function checkSearch(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new MemoryValidationError('search', 'search must be a string');
  if (value.length > MAX_SEARCH_CHARS) {
    throw new MemoryValidationError(
      'search',
      `search is ${value.length} characters; the limit is ${MAX_SEARCH_CHARS}`,
    );
  }
  // No title or id holds a NUL (titles are one clean line, ids are checked), and PostgreSQL
  // refuses one in a query: the search is for the rest of the text, on both stores.
  const text = withoutNul(value);
  return text === '' ? undefined : text;
}

/** The fields of a new session checked, with an id made (UUID v7) when none is given. */
export function checkNewSession(fields: NewSession): Required<Pick<NewSession, 'id'>> & NewSession {
  return {
    id: fields.id === undefined ? newSessionId() : checkId('session id', fields.id),
    title: fields.title === undefined ? undefined : checkTitle(fields.title),
    userId: checkOptionalId('userId', fields.userId),
    agent: checkOptionalId('agent', fields.agent),
    parentSessionId: checkOptionalId('parentSessionId', fields.parentSessionId),
    channelOrigin: checkOptionalId('channelOrigin', fields.channelOrigin),
  };
}

/** A session-state write: a key like an id, a string value, an epoch of null or an integer >= 0. */
export function checkStateWrite(key: string, value: unknown, expectedEpoch: number | null): void {
  checkId('state key', key);
  if (typeof value !== 'string')
    throw new MemoryValidationError('value', 'state values are strings (JSON-encode objects)');
  if (expectedEpoch !== null && (!Number.isInteger(expectedEpoch) || expectedEpoch < 0)) {
    throw new MemoryValidationError(
      'expectedEpoch',
      `expectedEpoch must be null or an integer >= 0, got ${expectedEpoch}`,
    );
  }
}

/**
 * The limit a creation keeps for its user (SessionRoom), when it has a user: undefined when
 * there is nothing to count. Every backend counts and inserts as one unit.
 */
export function roomLimit(userId: string | undefined, room: SessionRoom | undefined): number | undefined {
  if (room === undefined || userId === undefined) return undefined;
  if (!Number.isInteger(room.maxActive) || room.maxActive < 0) {
    throw new MemoryValidationError('maxActive', `maxActive must be an integer >= 0, got ${room.maxActive}`);
  }
  return room.maxActive;
}

/**
 * SessionStore.getOrCreate from a store's own get and create, for every backend: the session
 * when it exists, else a new one; when another writer creates it between the read and the
 * insert, theirs is the session. Create may then refuse with SessionLimitError rather than
 * SessionExistsError (the room is counted first, and that other writer's session filled it): an
 * existing session needs no room, so the session is read again either way.
 */
export async function getOrCreateSession<S>(
  store: {
    get(id: string): Promise<S | undefined>;
    create(fields: NewSession, room?: SessionRoom): Promise<S>;
  },
  id: string,
  fields: Omit<NewSession, 'id'>,
  room?: SessionRoom,
): Promise<S> {
  const existing = await store.get(id);
  if (existing) return existing;
  try {
    return await store.create({ ...fields, id }, room);
  } catch (error) {
    if (!(error instanceof SessionExistsError || error instanceof SessionLimitError)) throw error;
    const session = await store.get(id);
    if (!session) throw error;
    return session;
  }
}

/**
 * SessionStore.endTurn's input, checked before anything is written (every backend): messages,
 * when given, at least one; each state write as setState's; the claim's run id not empty.
 */
export function checkTurnEnd(end: TurnEnd): void {
  if (end.messages !== undefined && end.messages.length === 0)
    throw new MemoryValidationError('messages', 'a turn needs at least one message');
  for (const write of end.states ?? []) checkStateWrite(write.key, write.value, write.expectedEpoch);
  if (end.releaseRun !== undefined) checkId('releaseRun', end.releaseRun);
}

/**
 * Validation of note content and tags, with Oxydra's limits. Messages go back to the model
 * through memory_save / memory_update, so each says what to change.
 */

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

/**
 * The NoteStore's change hook, as every backend calls it: after the commit, one call at a time in
 * commit order (so the search index never sees a delete before its save), and a failing hook
 * never loses the note: its error comes back with the note as `indexError`.
 */

export class NoteChangeNotifier {
  #hook: NoteChangeHook | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(hook?: NoteChangeHook) {
    this.#hook = hook;
  }

  set(hook: NoteChangeHook | undefined): void {
    this.#hook = hook;
  }

  /** Tells the hook of a committed change; resolves to the note, with indexError if it failed. */
  async notify(event: NoteChangeEvent): Promise<NoteWriteResult> {
    const hook = this.#hook;
    if (!hook) return event.note;
    const run = this.#chain.then(() => hook(event));
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      await run;
      return event.note;
    } catch (error) {
      return { ...event.note, indexError: error instanceof Error ? error : new Error(String(error)) };
    }
  }
}

/** Tags in the one form stored and compared, by the retriever and by the index stores alike. */

/** Without NUL characters (withoutNul, @oxydra/types), trimmed, non-empty, unique, sorted. */
export function normaliseTags(tags: readonly string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((tag) => withoutNul(tag).trim()).filter((tag) => tag !== ''))].sort();
}

/**
 * The input rules of the SearchIndexStore contract both backends apply (the libSQL index here,
 * the PostgreSQL one through @oxydra/memory/store-input): a model's dimensions, and a vector of
 * exactly the model's dimensions.
 */

/** A copy of `model`, refused (RangeError) unless its dimensions are a whole number >= 1. */
export function checkSearchModel(model: SearchModel): SearchModel {
  if (!Number.isInteger(model.dimensions) || model.dimensions < 1) {
    throw new RangeError(`search index model ${model.id} needs a whole number of dimensions >= 1`);
  }
  return { id: model.id, dimensions: model.dimensions };
}

/** `vector`, refused (RangeError) when its dimensions are not the model's. */
export function checkVectorDimensions(vector: Float32Array, model: SearchModel): Float32Array {
  if (vector.length !== model.dimensions) {
    throw new RangeError(
      `vector has ${vector.length} dimensions, the search index's model ${model.id} ${model.dimensions}`,
    );
  }
  return vector;
}

/**
 * Whether `vector` is all zeros: what an embedder gives a text with no word it knows (model2vec
 * drops unknown words; the deterministic embedder a text of symbols only). Its cosine distance
 * to anything is undefined (NaN), so both backends answer it with no vector candidates.
 */
export function isZeroVector(vector: Float32Array): boolean {
  return vector.every((x) => x === 0);
}

/**
 * How a message is stored in conversation_events.payload: the Message as JSON, except that
 * attachment bytes are dropped. A transcript must stay small and must not keep every image
 * and PDF a user ever sent; the mime type, name and size stay, and the part is marked.
 *
 * So a loaded user message may contain attachment parts with `data: ''` and `omittedBytes`
 * (see isOmittedAttachment): replaying a session must replace them (attachmentPlaceholder)
 * before sending them to a provider.
 */

/** An attachment whose bytes were not stored: `data` is '' and `omittedBytes` the original size. */
export interface OmittedAttachmentPart extends AttachmentPart {
  data: '';
  omittedBytes: number;
}

export function isOmittedAttachment(part: ContentPart): part is OmittedAttachmentPart {
  return (
    part.type === 'attachment' && typeof (part as Partial<OmittedAttachmentPart>).omittedBytes === 'number'
  );
}

/** A text stand-in for an attachment whose bytes are gone, e.g. `[attachment photo.png: image/png, 12.3 KB, not kept]`. */
export function attachmentPlaceholder(part: AttachmentPart): string {
  const size = isOmittedAttachment(part) ? part.omittedBytes : Buffer.byteLength(part.data, 'base64');
  const name = part.name ? ` ${part.name}` : '';
  return `[attachment${name}: ${part.mimeType}, ${formatBytes(size)}, not kept]`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function stripPart(part: ContentPart): ContentPart {
  if (part.type !== 'attachment' || isOmittedAttachment(part)) return part;
  const stripped: OmittedAttachmentPart = {
    type: 'attachment',
    mimeType: part.mimeType,
    ...(part.name !== undefined ? { name: part.name } : {}),
    data: '',
    omittedBytes: Buffer.byteLength(part.data, 'base64'),
  };
  return stripped;
}

/** The message as stored: attachment bytes replaced by their size. */
export function toStoredMessage(message: Message): Message {
  if (message.role !== 'user' || typeof message.content === 'string') return message;
  return { ...message, content: message.content.map(stripPart) };
}

export function encodePayload(message: Message): string {
  return JSON.stringify(toStoredMessage(message));
}

const ROLES: ReadonlySet<unknown> = new Set<Role>(['system', 'user', 'assistant', 'tool']);

export const isRole = (value: unknown): value is Role => ROLES.has(value);

/** The stored message, or the reason it is not one (the caller names session and seq). */
export function decodePayload(payload: string, role: string): Message | string {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch (error) {
    return `invalid JSON: ${(error as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const message = value as { role?: unknown; content?: unknown };
  if (typeof message.role !== 'string' || !ROLES.has(message.role))
    return `unknown role ${String(message.role)}`;
  if (message.role !== role) return `role ${message.role} does not match the column's ${role}`;
  if (typeof message.content !== 'string' && !Array.isArray(message.content)) return 'content missing';
  return value as Message;
}

/** Payloads encoded up front, so a message that cannot be serialised fails before any write. */
export function encodeTurn(messages: readonly Message[]): Array<{ role: Role; payload: string }> {
  return messages.map((message, index) => {
    // Messages can come from JSON (the gateway, imports): check what the types promise.
    const role: unknown = (message as { role?: unknown } | null)?.role;
    if (!isRole(role)) {
      throw new MemoryValidationError(
        'messages',
        `message ${index + 1} of the turn has role ${JSON.stringify(role)}; expected system, user, assistant or tool`,
      );
    }
    return { role: message.role, payload: encodePayload(message) };
  });
}
