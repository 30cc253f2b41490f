/** Tags in the one form stored and compared, by the retriever and by the index stores alike. */

/** Trimmed, non-empty, unique, sorted. */
export function normaliseTags(tags: readonly string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((tag) => tag.trim()).filter((tag) => tag !== ''))].sort();
}
