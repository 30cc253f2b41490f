/**
 * A user's query → a to_tsquery expression that can only mean "any of these words". The terms
 * are the libSQL index's (queryTerms, @oxydra/memory/store-input): tokens of letters and digits
 * only, so nothing the user types (quotes, `&`, `|`, `!`, `<->`, `:*`, backslashes) reaches the
 * tsquery parser as syntax. Each token is written as a quoted operand, which to_tsquery runs
 * through the English configuration (stemming, stop words dropped without error); a word written
 * with inner punctuation (`OXY-4711`) also gives a phrase (`'oxy' <-> '4711'`) that ranks the
 * exact identifier higher. The alternatives are joined with `|`: a chunk needs one of them, as
 * with the libSQL index's OR, and ts_rank orders by how much of the query it holds.
 *
 * ts_rank scores every chunk that matches, so a word found in most chunks costs time in
 * proportion to the whole index (at 100k chunks the full-text side took ~300 ms). As the libSQL
 * index does, words are counted first (capped) and only the rare ones kept (rareWords).
 */
import { COMMON_WORD_CHUNKS, COUNTED_WORDS, queryTerms } from '@oxydra/memory/store-input';

/** Letters and digits only (queryTerms' tokens); anything else is left out rather than quoted. */
const SAFE = /^[\p{L}\p{N}\p{Co}]+$/u;

const operand = (token: string) => `'${token}'`;

export interface TextTerms {
  /** Phrases, each as its `'a' <-> 'b'` expression. */
  phrases: string[];
  /** Single words (letters and digits), the first COUNTED_WORDS. */
  words: string[];
}

export function textTerms(query: string): TextTerms {
  const { phrases, words } = queryTerms(query);
  return {
    phrases: phrases
      .filter((tokens) => tokens.every((token) => SAFE.test(token)))
      .map((tokens) => `(${tokens.map(operand).join(' <-> ')})`),
    words: words.filter((word) => SAFE.test(word)).slice(0, COUNTED_WORDS),
  };
}

/**
 * One statement counting the chunks each word is in, up to just past COMMON_WORD_CHUNKS. Each
 * word is a constant of the statement (letters and digits only, so it needs no escaping), which
 * lets the planner use the column's statistics: the GIN index for a rare word, a short scan that
 * stops at the cap for a common one.
 */
export function countWordsSql(words: readonly string[]): string {
  const counts = words.map(
    (word, i) =>
      `(SELECT count(*) FROM (SELECT 1 FROM search_chunks WHERE tsv @@ to_tsquery('english', '${word}')
        LIMIT ${COMMON_WORD_CHUNKS + 1}) AS w${i})::integer AS w${i}`,
  );
  return `SELECT ${counts.join(', ')}`;
}

/** The to_tsquery text of `phrases` and `words`, or undefined when there is none. */
export function tsqueryText(phrases: readonly string[], words: readonly string[]): string | undefined {
  const alternatives = [...phrases, ...words.map(operand)];
  return alternatives.length === 0 ? undefined : alternatives.join(' | ');
}
