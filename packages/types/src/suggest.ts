/** "Did you mean" suggestions for misspelt keys, tool names and other names. */

export function editDistance(a: string, b: string): number {
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

/** Candidates close to `input`, nearest first: within a third of the input's length, at least 2 edits. */
export function suggest(input: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(input.length / 3));
  const needle = input.toLowerCase();
  return [...candidates]
    .map((candidate) => {
      const lower = candidate.toLowerCase();
      const distance = lower.includes(needle) || needle.includes(lower) ? 1 : editDistance(needle, lower);
      return { candidate, distance };
    })
    .filter(({ distance }) => distance <= limit)
    .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
    .slice(0, max)
    .map(({ candidate }) => candidate);
}

export function didYouMean(input: string, candidates: Iterable<string>): string {
  const close = suggest(input, candidates);
  return close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
}

/**
 * Orders names by code point: stable, the same on every machine, and free of ICU. The first
 * `localeCompare` of a process maps several MB of the ICU collation data into memory, which a
 * sort of ASCII names (skills, personas) at start-up does not need.
 */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
