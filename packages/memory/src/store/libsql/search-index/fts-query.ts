/**
 * A user's query → FTS5 terms that can only ever mean "these words". Text is split into the
 * tokens FTS5's unicode61 tokenizer would make (letters and digits); each becomes a
 * double-quoted string, so nothing the user types (quotes, `NEAR`, `*`, `^`, column filters,
 * parentheses, AND/OR/NOT) is read as FTS syntax. A word written with inner punctuation
 * (`OXY-4711`, `parse_config`, `v2.3.1`) also gives a phrase of its tokens, which ranks the
 * exact identifier above texts that merely contain its parts.
 */
import { isStopWord } from '../../../embedders/deterministic.js';

const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;
/** A long query adds little past its first words and makes the MATCH slower. */
const MAX_TERMS = 24;

/** A word in more chunks than this is "common": ranking every chunk it is in costs too much. */
export const COMMON_WORD_CHUNKS = 1500;
/**
 * Most chunks the kept words may match together: FTS5's bm25 costs ~0.6 µs per matching chunk,
 * so this bounds the ranked query to a few ms. The rarest word is always kept.
 */
export const MATCH_BUDGET_CHUNKS = 4000;
/** Counting every word of a long query costs more than it saves; the first ones are kept. */
export const COUNTED_WORDS = 12;

/**
 * The words worth ranking, rarest first, given how many chunks each is in (counted up to just
 * past COMMON_WORD_CHUNKS): words in no chunk and common words are left out, and the kept ones
 * match at most MATCH_BUDGET_CHUNKS chunks together. Empty: every word is common (or absent),
 * and the vectors decide the query alone. Both backends apply it (fts-search.ts here; the
 * PostgreSQL index applies the same rule inside its search statement, text-query.ts there).
 */
export function rareWords(words: readonly string[], counts: ReadonlyMap<string, number>): string[] {
  const ranked = words
    .map((word) => ({ word, chunks: counts.get(word) ?? 0 }))
    .filter(({ chunks }) => chunks > 0)
    .sort((a, b) => a.chunks - b.chunks);
  const kept: string[] = [];
  let budget = MATCH_BUDGET_CHUNKS;
  for (const { word, chunks } of ranked) {
    if (chunks > COMMON_WORD_CHUNKS || (kept.length > 0 && chunks > budget)) break;
    kept.push(word);
    budget -= chunks;
  }
  return kept;
}

/**
 * The phrases (identifiers) worth ranking, in the query's order, given how many chunks each is in
 * (counted as words are): all but those in more than COMMON_WORD_CHUNKS chunks, which would make
 * the ranked query score most of the index, as a common word would. A phrase in no chunk is kept
 * (it costs the query nothing). Outside the words' budget: at most MAX_TERMS phrases, each under
 * the common cap. Both backends apply it, as rareWords.
 */
export function keptPhrases(phrases: readonly string[], counts: ReadonlyMap<string, number>): string[] {
  return phrases.filter((phrase) => (counts.get(phrase) ?? 0) <= COMMON_WORD_CHUNKS);
}

/** A query's search terms as tokens: what both backends search for (one home for the rules). */
export interface QueryTerms {
  /** Words written with inner punctuation, as their tokens in order (an identifier). */
  phrases: string[][];
  /** Single words, stop words left out unless there is nothing else. */
  words: string[];
}

export interface FtsTerms {
  /** Quoted multi-token phrases (identifiers). */
  phrases: string[];
  /** Quoted single words, stop words left out unless there is nothing else. */
  words: string[];
}

function quote(tokens: readonly string[]): string {
  // Tokens hold letters and digits only, so there is no `"` to escape; doubled anyway, as FTS5 wants.
  return `"${tokens.join(' ').replaceAll('"', '""')}"`;
}

/**
 * The tokens of `query` (letters and digits only: nothing the user types is read as query
 * syntax), at most MAX_TERMS terms, phrases first. The PostgreSQL search index builds its
 * tsquery from these, the libSQL one its FTS5 MATCH (ftsTerms).
 */
export function queryTerms(query: string): QueryTerms {
  const words = new Set<string>();
  const phrases = new Map<string, string[]>();
  const stopWords = new Set<string>();
  for (const word of query.normalize('NFKC').toLowerCase().split(/\s+/)) {
    const tokens = word.match(TOKEN) ?? [];
    if (tokens.length > 1) phrases.set(tokens.join(' '), tokens);
    for (const token of tokens) (isStopWord(token) ? stopWords : words).add(token);
  }
  // A query made only of stop words ("to be or not to be") still searches for them.
  const single = [...(words.size > 0 ? words : stopWords)];
  const keptPhrases = [...phrases.values()].slice(0, MAX_TERMS);
  return { phrases: keptPhrases, words: single.slice(0, MAX_TERMS - keptPhrases.length) };
}

export function ftsTerms(query: string): FtsTerms {
  const { phrases, words } = queryTerms(query);
  return { phrases: phrases.map(quote), words: words.map((word) => quote([word])) };
}

/** Any of the terms: the MATCH expression, or undefined when the query has no searchable word. */
export function buildFtsQuery(query: string): string | undefined {
  const { phrases, words } = ftsTerms(query);
  const all = [...phrases, ...words];
  return all.length === 0 ? undefined : all.join(' OR ');
}
