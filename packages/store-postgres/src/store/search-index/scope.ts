/**
 * Which chunks a search may see (SearchScope) as SQL conditions, the same for the full-text and
 * the vector side, with the libSQL index's rules (packages/memory/src/store/libsql/search-index/
 * scope.ts):
 *   - userId: only chunks saved for that user (chunks saved without a user are not shared).
 *   - sessionId: conversation chunks of that session only; notes stay visible.
 *   - tags: chunks carrying every one of them (conversation chunks have none).
 */
import { normaliseTags } from '@oxydra/memory/store-input';
import type { SearchScope } from '@oxydra/types';

/** ` AND ...` conditions on search_chunks, numbering their parameters after `values`. */
export function scopeSql(scope: SearchScope, values: unknown[]): string {
  const parts: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (scope.includeNotes === false) parts.push("source_type <> 'note'");
  if (scope.includeConversation === false) parts.push("source_type <> 'conversation'");
  if (scope.userId !== undefined) parts.push(`user_id = ${param(scope.userId)}`);
  if (scope.sessionId !== undefined) {
    parts.push(`(source_type <> 'conversation' OR session_id = ${param(scope.sessionId)})`);
  }
  const tags = normaliseTags(scope.tags);
  if (tags.length > 0) parts.push(`tags @> ${param(tags)}::text[]`);
  return parts.map((part) => ` AND ${part}`).join('');
}
