/**
 * The default embedder: offline, instant, no model file. Text becomes a bag of lexical features
 * (word stems, and the character 3- and 4-grams of each word) hashed into a fixed-size vector
 * with random signs (the "hashing trick"), then L2-normalised. It captures lexical similarity
 * only (shared words, shared stems, shared word pieces: "indexing" ~ "indexed" ~ "index"), not
 * meaning; a model2vec or API embedder does that. Same text, same vector, on every machine.
 */
import type { Embedder } from '@oxydra/types';

export interface DeterministicEmbedderOptions {
  /** Vector size; default 256. */
  dimensions?: number;
}

// Feature weights. Similarity is a dot product, so what counts is each feature's share of the
// vector's energy (squared weight): the grams of a word together carry about as much energy as
// the word itself (each gram gets GRAM_WEIGHT·4/(grams+3)). A whole-word match then still wins,
// while a typo or another form of the word ("indexing" ~ "indexes") keeps most of the score.
// Checked on the retrieval test corpus: 0.3 (grams worth a tenth of the word) found half the
// misspelled queries, 1 three quarters, with paraphrase and keyword recall unchanged.
const WORD_WEIGHT = 1;
const GRAM_WEIGHT = 1;
// Stop words still count a little: "to be or not to be" is not an empty text.
const STOP_WORD_FACTOR = 0.15;

const WORD = /[\p{L}\p{N}_]+/gu;

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so every output bit is well mixed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Feature → weight, with repeated features damped (log) so one repeated word cannot dominate. */
function features(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
  for (const match of text.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    const word = match[0];
    const factor = isStopWord(word) ? STOP_WORD_FACTOR : 1;
    const root = stem(word);
    add(`w:${root}`, WORD_WEIGHT * factor);
    // Numbers and identifiers with digits are compared whole: "10234" and "10235" share most
    // of their n-grams but not their meaning (two tickets, two ports).
    if (/\d/.test(word)) continue;
    // Grams of the padded stem, so "index" and "indexing" share all of theirs.
    const padded = `<${root}>`;
    const grams = Math.max(0, padded.length - 2) + Math.max(0, padded.length - 3);
    if (grams === 0) continue;
    const gramWeight = (GRAM_WEIGHT * factor * 4) / (grams + 3);
    for (let i = 0; i + 3 <= padded.length; i++) add(padded.slice(i, i + 3), gramWeight);
    for (let i = 0; i + 4 <= padded.length; i++) add(padded.slice(i, i + 4), gramWeight);
  }
  return counts;
}

export function embedText(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  for (const [feature, total] of features(text)) {
    const h = hash(feature);
    const weight = Math.log1p(total);
    // The low bits pick the slot, the top bit the sign: collisions then cancel on average.
    vector[h % dimensions] = (vector[h % dimensions] ?? 0) + (h & 0x80000000 ? -weight : weight);
  }
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += (vector[i] ?? 0) ** 2;
  // An empty (or symbol-only) text stays the zero vector: similar to nothing.
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] ?? 0) * scale;
  }
  return vector;
}

export function createDeterministicEmbedder(options: DeterministicEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? 256;
  if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 65_536) {
    throw new RangeError(
      `deterministic embedder: dimensions must be an integer in 8..65536, got ${dimensions}`,
    );
  }
  return {
    modelId: `deterministic-v1-${dimensions}`,
    dimensions,
    embed: async (texts) => texts.map((text) => embedText(text, dimensions)),
  };
}

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

/**
 * English function words. They carry little meaning, and without a corpus-wide IDF the
 * deterministic embedder would otherwise rank texts by how many "the"s they share.
 */
const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being ' +
    'below between both but by can could did do does doing down during each few for from further ' +
    'had has have having he her here hers herself him himself his how i if in into is it its ' +
    'itself just me more most my myself no nor not now of off on once only or other our ours ' +
    'ourselves out over own same she should so some such than that the their theirs them ' +
    'themselves then there these they this those through to too under until up very was we were ' +
    'what when where which while who whom why will with would you your yours yourself yourselves'
  ).split(' '),
);

export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}
