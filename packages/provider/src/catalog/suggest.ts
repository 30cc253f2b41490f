/**
 * "Did you mean" for model ids. @oxydra/types' suggest() treats any substring as a near match,
 * which suits config keys but not model ids: for "gpt-4o-mni" it would offer "gpt-4" and "gpt-4o"
 * too, since both are prefixes. Here only the closest ids by edit distance are offered.
 */
import { editDistance } from '@oxydra/types';

export function suggestModelIds(input: string, candidates: readonly string[], max = 3): string[] {
  const needle = input.toLowerCase();
  const limit = Math.max(2, Math.floor(needle.length / 3));
  const scored = candidates
    .map((id) => ({ id, distance: editDistance(needle, id.toLowerCase()) }))
    .filter(({ distance }) => distance <= limit);
  if (scored.length > 0) {
    const best = Math.min(...scored.map(({ distance }) => distance));
    return scored
      .filter(({ distance }) => distance === best)
      .map(({ id }) => id)
      .sort()
      .slice(0, max);
  }
  // A fragment such as "sonnet" or "flash": the shortest ids that contain it.
  return candidates
    .filter((id) => id.toLowerCase().includes(needle))
    .sort((a, b) => a.length - b.length || a.localeCompare(b))
    .slice(0, max);
}

/** ` (did you mean "x"?)`, or '' when nothing is close; the same wording as @oxydra/types' didYouMean. */
export function didYouMeanModel(input: string, candidates: readonly string[]): string {
  const close = suggestModelIds(input, candidates);
  return close.length > 0 ? ` (did you mean ${close.map((id) => `"${id}"`).join(' or ')}?)` : '';
}
