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

/** Items drawn by Zipf's law over their order (the first most often), one random() per draw. */
function zipfSampler(items, random) {
  const cdf = [];
  let sum = 0;
  for (let i = 0; i < items.length; i++) {
    sum += 1 / (i + 1);
    cdf.push(sum);
  }
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo];
  };
}

// The topical corpus (`{ topics: N }`). Without it every note draws its words from one Zipf
// distribution over the whole vocabulary, so two notes share little beyond the function words and
// the most common pseudo-words, and their hashed vectors are close to random: no neighbour
// structure, the hardest case for an approximate index. Real notes have topics: a note about a
// deploy shares words with other notes about deploys. So each topic owns a slice of the
// vocabulary (a seeded shuffle, cut into N equal slices) with its own Zipf distribution over it;
// each note picks one topic, or two (TWO_TOPICS of them); and a content word comes from one of the
// note's topics, or with GLOBAL_SHARE from the shared Zipf distribution as before. Function words
// are mixed in as before. Notes of one topic are then near each other, notes of different topics
// far apart, as with a real embedder on real notes (roughly; it is still lexical).
const TWO_TOPICS = 0.3;
const GLOBAL_SHARE = 0.25;

/**
 * The synthetic corpus, seeded. `topics` (optional): the number of topics of the topical corpus
 * above; without it the uniform corpus, exactly as before (the same notes for the same seed).
 */
export function makeCorpus(seed, { topics } = {}) {
  if (topics !== undefined && !(Number.isInteger(topics) && topics >= 1 && topics <= 1000))
    throw new RangeError(`makeCorpus: topics must be an integer in 1..1000, got ${topics}`);
  const random = seededRandom(seed);
  const vocabulary = new Set();
  while (vocabulary.size < 30_000) {
    let word = '';
    const syllables = 1 + Math.floor(random() * 3);
    for (let i = 0; i < syllables; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    vocabulary.add(word);
  }
  const words = [...vocabulary];
  const zipf = zipfSampler(words, random);
  const topicSamplers = topics ? topicZipfs(words, topics, seed, random) : [];
  // The current note's topics (topical corpus only); set by note().
  let noteTopics = [];
  const contentWord = () => {
    if (!topics || random() < GLOBAL_SHARE) return zipf();
    return noteTopics[Math.floor(random() * noteTopics.length)]();
  };
  const word = () => {
    if (random() < 0.35) return FUNCTION_WORDS[Math.floor(random() * FUNCTION_WORDS.length)];
    const w = contentWord();
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
      if (topics) {
        const pick = () => topicSamplers[Math.floor(random() * topics)];
        noteTopics = random() < TWO_TOPICS ? [pick(), pick()] : [pick()];
      }
      const target = 300 + Math.floor(random() * 1200);
      let text = '';
      while (text.length < target) text += (text ? ' ' : '') + sentence();
      serial++;
      if (random() < 0.3) text += ` Ticket OXY-${10_000 + serial} tracks it.`;
      return { id: `note-${serial}`, content: text };
    },
  };
}

/**
 * makeCorpus's options for a bench's `--corpus` flag: `uniform` (the default, the corpus the
 * recorded figures were measured on) or `topics` (the topical corpus, 100 topics: about 600 notes
 * (counting a note's second topic) and 1,000 to 1,300 chunks a topic at 100,000 chunks).
 */
export function corpusOptions(name) {
  if (name === 'uniform') return {};
  if (name === 'topics') return { topics: 100 };
  throw new Error(`bad --corpus ${name}: uniform, topics or docs`);
}

/**
 * The corpus a bench's `--corpus` names: the synthetic ones above, or `docs`, real English
 * documentation text (bench/docs-corpus.mjs, fetched on first use). Each has makeCorpus's shape.
 */
export async function openCorpus(name, seed) {
  if (name !== 'docs') return makeCorpus(seed, corpusOptions(name));
  const { makeDocsCorpus } = await import('./docs-corpus.mjs');
  return makeDocsCorpus(seed);
}

/** One Zipf sampler per topic, each over its own slice of a seeded shuffle of `words`. */
function topicZipfs(words, topics, seed, random) {
  // A shuffle of its own, so a topic's most frequent words are not the shared distribution's.
  const shuffle = seededRandom(seed + 1);
  const shuffled = [...words];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const size = Math.floor(shuffled.length / topics);
  return Array.from({ length: topics }, (_, t) =>
    zipfSampler(shuffled.slice(t * size, (t + 1) * size), random),
  );
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
 * results), by kind of query; `scoped`: each search scoped to its note's user (note.userId).
 */
export async function measureQueries(index, notes, random, { queries, topK, scoped = false }) {
  const times = [];
  let hits = 0;
  const byKind = { keyword: [0, 0], paraphrase: [0, 0] };
  const warmup = 20;
  for (let i = 0; i < queries + warmup; i++) {
    const note = notes[Math.floor(random() * notes.length)];
    const query = queryFor(note, random);
    const start = performance.now();
    // scoped: as a deployment searches, for the query's note's user only (notes carry a userId).
    const user = scoped ? { userId: note.userId } : {};
    const results = await index.search({ query: query.text, topK: topK, ...user });
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

/**
 * The next recall query's text and vector: a query made from a random note (queryFor), drawing
 * again while the embedder gives the zero vector. A model2vec embedder gives it to a text with no
 * word it knows (the deterministic one never does, so its queries are as before); every cosine
 * distance to it is NaN, so it has no nearest neighbours and no exact top 10 to recall. `skipped`
 * counts the draws passed over.
 */
export async function recallQuery(embedder, notes, random, skipped) {
  for (;;) {
    const note = notes[Math.floor(random() * notes.length)];
    const [vector] = await embedder.embed([queryFor(note, random).text]);
    if (vector.some((x) => x !== 0)) return { note, vector };
    skipped.count++;
  }
}
