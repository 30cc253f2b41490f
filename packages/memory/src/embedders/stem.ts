/**
 * A light English suffix stripper for the deterministic embedder: enough that "notes",
 * "noted" and "noting" meet at "note", and "indexes"/"indexing"/"indexed" at "index". Not a
 * real stemmer (no Porter rules); the character n-grams catch what it misses.
 */

// Longest first; each rule keeps at least `min` characters of stem so short words survive.
const RULES: ReadonlyArray<{ suffix: string; replace: string; min: number }> = [
  { suffix: 'ational', replace: 'ate', min: 3 },
  { suffix: 'ization', replace: 'ize', min: 3 },
  { suffix: 'fulness', replace: 'ful', min: 3 },
  { suffix: 'ousness', replace: 'ous', min: 3 },
  { suffix: 'iveness', replace: 'ive', min: 3 },
  { suffix: 'ments', replace: '', min: 4 },
  { suffix: 'ment', replace: '', min: 4 },
  { suffix: 'ings', replace: '', min: 3 },
  { suffix: 'ing', replace: '', min: 3 },
  { suffix: 'ies', replace: 'y', min: 2 },
  { suffix: 'ied', replace: 'y', min: 2 },
  { suffix: 'edly', replace: '', min: 3 },
  { suffix: 'ly', replace: '', min: 4 },
  { suffix: 'ed', replace: '', min: 3 },
  { suffix: 'es', replace: '', min: 3 },
  { suffix: 's', replace: '', min: 3 },
];

// "es" is a plural ending only after these; elsewhere ("notes", "caches") just the "s" goes.
const ES_PLURAL = /(?:s|x|z|ch|sh)$/;

/** "running" → "run": a doubled final consonant left by -ing/-ed is undone. */
function undouble(word: string): string {
  const n = word.length;
  if (n >= 3 && word[n - 1] === word[n - 2] && !/[aeiouslz]/.test(word[n - 1] ?? ''))
    return word.slice(0, -1);
  return word;
}

/** Strip one common suffix; a final "e" goes too, so "note", "notes", "noted", "noting" all give "not". */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  return dropFinalE(stripSuffix(word));
}

function stripSuffix(word: string): string {
  if (word.endsWith('ss') || word.endsWith('us') || word.endsWith('is')) return word;
  for (const { suffix, replace, min } of RULES) {
    if (!word.endsWith(suffix)) continue;
    const base = word.slice(0, -suffix.length);
    if (base.length < min) continue;
    if (suffix === 'es' && !ES_PLURAL.test(base)) return word.slice(0, -1);
    if (suffix === 'ing' || suffix === 'ings' || suffix === 'ed' || suffix === 'edly') return undouble(base);
    return base + replace;
  }
  return word;
}

function dropFinalE(word: string): string {
  return word.length >= 4 && word.endsWith('e') ? word.slice(0, -1) : word;
}
