/**
 * Session ids a person can read and type. Stored ids are UUID v7, whose first characters are a
 * timestamp: sessions started the same day share them, so a prefix is no name. The short form is
 * the random tail instead (the last 8 hex digits, 32 random bits); it is what every screen shows
 * and what every id argument accepts, along with the full id (and, as before, a unique prefix).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHORT_LENGTH = 8;

/** `01890a5d-ac96-774b-bcce-b302099a8057` → `099a8057`; an id that is no UUID (a name) stays whole. */
export function shortSessionId(id: string): string {
  return UUID.test(id) ? id.slice(-SHORT_LENGTH) : id;
}

/**
 * Short ids for ids shown together, each unique among them: a tail shared by two ids (one chance
 * in four billion per pair) grows to 12 digits, then to the whole id.
 */
export function shortSessionIds(ids: readonly string[]): Map<string, string> {
  const shown = new Map<string, string>();
  for (const id of ids) {
    const candidates = UUID.test(id) ? [id.slice(-SHORT_LENGTH), id.slice(-12), id] : [id];
    const unique = candidates.find((short) => ids.every((other) => other === id || !other.endsWith(short)));
    shown.set(id, unique ?? id);
  }
  return shown;
}

/** Whether `typed` names `id`: the whole id, its tail (the short form) or its beginning. */
export function sessionIdMatches(id: string, typed: string): boolean {
  const wanted = typed.trim().toLowerCase();
  if (wanted === '') return false;
  const own = id.toLowerCase();
  return own === wanted || own.endsWith(wanted) || own.startsWith(wanted);
}

export type SessionIdMatch = { ok: true; id: string } | { ok: false; candidates: string[] };

/**
 * The one id among `ids` that `typed` names. An exact id wins over partial matches; otherwise
 * the ids it could mean (none: unknown; several: ambiguous, for the caller to list).
 */
export function matchSessionId(typed: string, ids: readonly string[]): SessionIdMatch {
  if (ids.includes(typed)) return { ok: true, id: typed };
  const candidates = ids.filter((id) => sessionIdMatches(id, typed));
  return candidates.length === 1 ? { ok: true, id: candidates[0]! } : { ok: false, candidates };
}

/** One line for an id that names no session, or several (then listing their short ids, the fix). */
export function sessionIdProblem(typed: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return `no session "${typed}"`;
  const shorts = shortSessionIds(candidates);
  const shown = candidates.slice(0, 8).map((id) => shorts.get(id) ?? id);
  const more = candidates.length > shown.length ? `, and ${candidates.length - shown.length} more` : '';
  return `session id "${typed}" matches ${candidates.length} sessions (${shown.join(', ')}${more}); type one of these short ids`;
}
