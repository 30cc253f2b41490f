/**
 * What a SessionStore accepts (every backend: the libSQL file here, PostgreSQL in
 * @oxydra/store-postgres): new sessions' fields, list paging, the literal search text, and
 * session-state writes. Bad input is refused with a MemoryValidationError naming the field.
 */
import { type NewSession, SessionExistsError, type TurnEnd, withoutNul } from '@oxydra/types';
import { MemoryValidationError } from './errors.js';
import { newSessionId } from './ids.js';
import { checkTitle } from './title.js';
import { checkId, checkOptionalId } from './validate.js';

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
 * SessionStore.getOrCreate from a store's own get and create, for every backend: the session
 * when it exists, else a new one; when another writer creates it between the read and the
 * insert (create refuses with SessionExistsError), theirs is the session.
 */
export async function getOrCreateSession<S>(
  store: { get(id: string): Promise<S | undefined>; create(fields: NewSession): Promise<S> },
  id: string,
  fields: Omit<NewSession, 'id'>,
): Promise<S> {
  const existing = await store.get(id);
  if (existing) return existing;
  try {
    return await store.create({ ...fields, id });
  } catch (error) {
    if (!(error instanceof SessionExistsError)) throw error;
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
