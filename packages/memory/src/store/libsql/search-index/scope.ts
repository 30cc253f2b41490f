/**
 * Which chunks a search may see (SearchScope), in one shape for both halves of the hybrid search:
 * the SQL of the full-text side and the in-memory vector scan apply exactly the same rules.
 *   - userId: only chunks saved for that user (chunks saved without a user are not shared).
 *   - sessionId: conversation chunks of that session only; notes belong to a user, not to a
 *     session, so they stay visible.
 *   - tags: chunks carrying every one of them (conversation chunks have none).
 */
import type { InValue } from '@libsql/client';
import type { SearchScope } from '@oxydra/types';
import { normaliseTags } from '../../../store-input.js';

/** A SearchScope with its defaults filled in and its tags normalised. */
export interface ScopeFilter {
  includeNotes: boolean;
  includeConversation: boolean;
  userId: string | undefined;
  sessionId: string | undefined;
  tags: readonly string[];
}

export function scopeFilter(scope: SearchScope): ScopeFilter {
  return {
    includeNotes: scope.includeNotes ?? true,
    includeConversation: scope.includeConversation ?? true,
    userId: scope.userId,
    sessionId: scope.sessionId,
    tags: normaliseTags(scope.tags),
  };
}

/** ` AND ...` conditions on the chunks table (aliased `c`) and their arguments. */
export function scopeSql(filter: ScopeFilter): { sql: string; args: InValue[] } {
  const parts: string[] = [];
  const args: InValue[] = [];
  if (!filter.includeNotes) parts.push("c.source_type <> 'note'");
  if (!filter.includeConversation) parts.push("c.source_type <> 'conversation'");
  if (filter.userId !== undefined) {
    parts.push('c.user_id = ?');
    args.push(filter.userId);
  }
  if (filter.sessionId !== undefined) {
    parts.push("(c.source_type <> 'conversation' OR c.session_id = ?)");
    args.push(filter.sessionId);
  }
  if (filter.tags.length > 0) {
    parts.push(
      'NOT EXISTS (SELECT 1 FROM json_each(?) AS wanted WHERE wanted.value NOT IN (SELECT value FROM json_each(c.tags)))',
    );
    args.push(JSON.stringify(filter.tags));
  }
  return { sql: parts.map((part) => ` AND ${part}`).join(''), args };
}

/** The same rules for one chunk, for the in-memory side. */
export function hasAllTags(chunkTags: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((tag) => chunkTags.includes(tag));
}

/** Interned "no value" (a chunk saved without user or session). */
export const NONE = 0;

/** Strings ↔ small integers, so the scan compares numbers. */
export class Interner {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [''];
  id(value: string | null): number {
    if (value === null) return NONE;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(value, id);
      this.values.push(value);
    }
    return id;
  }
  find(value: string): number | undefined {
    return this.ids.get(value);
  }
}
