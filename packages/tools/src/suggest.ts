/**
 * "Did you mean" for tool names. @oxydra/config has the same helper for config keys, but tools
 * may depend only on @oxydra/types, so this small copy lives here.
 */

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** ` (did you mean "x"?)` for the nearest candidates within a third of the input's length, or ''. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const needle = input.toLowerCase();
  const limit = Math.max(2, Math.floor(needle.length / 3));
  const scored = candidates
    .map((candidate) => ({ candidate, distance: editDistance(needle, candidate.toLowerCase()) }))
    .filter(({ distance }) => distance <= limit);
  if (scored.length === 0) return '';
  const best = Math.min(...scored.map(({ distance }) => distance));
  const close = scored
    .filter(({ distance }) => distance === best)
    .map(({ candidate }) => `"${candidate}"`)
    .sort();
  return ` (did you mean ${close.join(' or ')}?)`;
}
