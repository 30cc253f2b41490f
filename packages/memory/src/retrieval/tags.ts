/** Tags in the one form stored and compared, by the retriever and by the index stores alike. */
import { withoutNul } from '@oxydra/types';

/** Without NUL characters (withoutNul, @oxydra/types), trimmed, non-empty, unique, sorted. */
export function normaliseTags(tags: readonly string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((tag) => withoutNul(tag).trim()).filter((tag) => tag !== ''))].sort();
}
