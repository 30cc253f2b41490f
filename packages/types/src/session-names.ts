/**
 * What a session is called wherever sessions are listed (dashboard, `oxydra sessions list`, the
 * terminal UI's /sessions): the one rule, so the three never disagree. Ids stay the wire format;
 * this is only the label beside them.
 */
import { shortSessionId } from './session-ids.js';
import { oneLine } from './terminal-text.js';

/** The name of a user's one default session (the one a hello without a session id attaches). */
export const DEFAULT_SESSION_NAME = 'Default session';

/** Longest name shown: a label for a list row, not the whole request. */
export const SESSION_NAME_CHARS = 80;

const DEFAULT_PREFIX = 'runtime-';

/** The id of `userId`'s default session: `runtime-<userId>`, Oxydra's wire format. */
export function defaultSessionId(userId: string): string {
  return `${DEFAULT_PREFIX}${userId}`;
}

/**
 * Whether `id` is a default session: exactly `runtime-<userId>` when the owner is known, else any
 * `runtime-` id (a user's own session list, which carries no owner).
 */
export function isDefaultSessionId(id: string, userId?: string | null): boolean {
  if (userId !== undefined && userId !== null) return id === defaultSessionId(userId);
  return id.startsWith(DEFAULT_PREFIX) && id.length > DEFAULT_PREFIX.length;
}

export interface NamedSession {
  id: string;
  /** The owner, when known: then only `runtime-<userId>` is their default session. */
  userId?: string | null;
  /** Set by a person, or taken from the first user message when the first turn was stored. */
  title?: string | null;
  /** The first user message's text, for a session stored without a title. */
  firstUserText?: string | null;
}

/**
 * A session's name: "Default session" for a user's default one, else its title, else the start
 * of its first user message, else its short id. Always one clean line (see `oneLine`).
 */
export function sessionName(session: NamedSession): string {
  if (isDefaultSessionId(session.id, session.userId)) return DEFAULT_SESSION_NAME;
  for (const text of [session.title, session.firstUserText]) {
    const name = typeof text === 'string' ? oneLine(text, SESSION_NAME_CHARS) : '';
    if (name !== '') return name;
  }
  return oneLine(shortSessionId(session.id), SESSION_NAME_CHARS) || session.id;
}
