// The synthetic corpus and hybrid-query measurement shared by the search benchmarks
// (bench/memory.mjs for the libSQL index, bench/pg-search.mjs for PostgreSQL), so both measure
// the same notes and the same queries made from them.
import { seededRandom } from '@oxydra/testkit';
import { percentile } from './stats.mjs';

// --- A synthetic corpus: English function words mixed with Zipf-distributed pseudo-words. ---

const FUNCTION_WORDS =
  'the of and to in is that for it with as on was be by this are or from at an which have not'.split(' ');
// Syllables as onset + vowel + coda, so pseudo-words share letter n-grams about as often as
// English words do (a handful of syllables would make every word look like every other).
const ONSETS = 'b c d f g h j k l m n p r s t v w z bl br ch cl cr dr fl gr pl pr sh st th tr'.split(' ');
const VOWELS = 'a e i o u ai ea ou'.split(' ');
const CODAS = ['', '', '', 'n', 'r', 's', 't', 'l', 'm', 'nd', 'st', 'ck'];
const SYLLABLES = ONSETS.flatMap((o) => VOWELS.flatMap((v) => CODAS.map((c) => o + v + c)));
const SUFFIXES = ['s', 'ing', 'ed', 'ly', 'er'];

export function makeCorpus(seed) {
  const random = seededRandom(seed);
  const vocabulary = new Set();
  while (vocabulary.size < 30_000) {
    let word = '';
    const syllables = 1 + Math.floor(random() * 3);
    for (let i = 0; i < syllables; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    vocabulary.add(word);
  }
  const words = [...vocabulary];
  const cdf = [];
  let sum = 0;
  for (let i = 0; i < words.length; i++) {
    sum += 1 / (i + 1);
    cdf.push(sum);
  }
  const zipf = () => {
    const x = random() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
  const word = () => {
    if (random() < 0.35) return FUNCTION_WORDS[Math.floor(random() * FUNCTION_WORDS.length)];
    const w = zipf();
    return random() < 0.2 ? w + SUFFIXES[Math.floor(random() * SUFFIXES.length)] : w;
  };
  const sentence = () => {
    const n = 6 + Math.floor(random() * 12);
    const parts = Array.from({ length: n }, word);
    parts[0] = parts[0][0].toUpperCase() + parts[0].slice(1);
    return `${parts.join(' ')}.`;
  };
  let serial = 0;
  return {
    random,
    /** A note of 300-1500 characters (1 to 3 chunks), sometimes with an identifier in it. */
    note() {
      const target = 300 + Math.floor(random() * 1200);
      let text = '';
      while (text.length < target) text += (text ? ' ' : '') + sentence();
      serial++;
      if (random() < 0.3) text += ` Ticket OXY-${10_000 + serial} tracks it.`;
      return { id: `note-${serial}`, content: text };
    },
  };
}

/** A query made from a note: rare words of it (keyword) or a reworded sentence (paraphrase). */
export function queryFor(note, random) {
  const ticket = /OXY-\d+/.exec(note.content);
  const kind = random() < 0.5 ? 'keyword' : 'paraphrase';
  if (kind === 'keyword') {
    if (ticket && random() < 0.5) return { kind, text: ticket[0] };
    const words = [...new Set(note.content.toLowerCase().match(/[a-z]+/g))].filter((w) => w.length > 6);
    words.sort((a, b) => b.length - a.length || a.localeCompare(b));
    return { kind, text: words.slice(0, 2 + Math.floor(random() * 2)).join(' ') };
  }
  const sentences = note.content.split('. ');
  const sentence = sentences[Math.floor(random() * sentences.length)] ?? note.content;
  const kept = sentence
    .split(' ')
    .filter(() => random() > 0.35)
    .map((w) => (w.endsWith('s') ? w.slice(0, -1) : random() < 0.3 ? `${w}ing` : w));
  return { kind, text: kept.join(' ') || sentence };
}

/**
 * Hybrid searches through `index.search` (a Retriever, or an object with its search), each made
 * from a random note of `notes`: p50/p95 after a warm-up, and hit@topK (the note is among the
 * results), by kind of query.
 */
export async function measureQueries(index, notes, random, { queries, topK }) {
  const times = [];
  let hits = 0;
  const byKind = { keyword: [0, 0], paraphrase: [0, 0] };
  const warmup = 20;
  for (let i = 0; i < queries + warmup; i++) {
    const note = notes[Math.floor(random() * notes.length)];
    const query = queryFor(note, random);
    const start = performance.now();
    const results = await index.search({ query: query.text, topK: topK });
    const elapsed = performance.now() - start;
    if (i < warmup) continue;
    times.push(elapsed);
    const hit = results.some((r) => r.noteId === note.id);
    hits += hit ? 1 : 0;
    byKind[query.kind][0] += hit ? 1 : 0;
    byKind[query.kind][1]++;
  }
  times.sort((a, b) => a - b);
  const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    query_p50_ms: round(percentile(times, 50)),
    query_p95_ms: round(percentile(times, 95)),
    hit_at_8: round(hits / times.length),
    hit_at_8_keyword: round(byKind.keyword[0] / Math.max(1, byKind.keyword[1])),
    hit_at_8_paraphrase: round(byKind.paraphrase[0] / Math.max(1, byKind.paraphrase[1])),
  };
}
