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
 * index does, words are counted first (capped) and only the rare ones kept (rareWords), here in
 * the search's own statement (textHitsCtes), so counting costs no round trip of its own. A word
 * the table's statistics already put far past the cap is not counted (common-lexemes.ts).
 */
import {
  COMMON_WORD_CHUNKS,
  COUNTED_WORDS,
  MATCH_BUDGET_CHUNKS,
  queryTerms,
} from '@oxydra/memory/store-input';

/** Letters and digits only (queryTerms' tokens); anything else is left out rather than quoted. */
const SAFE = /^[\p{L}\p{N}\p{Co}]+$/u;

const operand = (token: string) => `'${token}'`;

interface TextTerms {
  /** Phrases, each as its `'a' <-> 'b'` expression. */
  phrases: string[];
  /** Single words (letters and digits), the first COUNTED_WORDS. */
  words: string[];
}

function textTerms(query: string): TextTerms {
  const { phrases, words } = queryTerms(query);
  return {
    phrases: phrases
      .filter((tokens) => tokens.every((token) => SAFE.test(token)))
      .map((tokens) => `(${tokens.map(operand).join(' <-> ')})`),
    words: words.filter((word) => SAFE.test(word)).slice(0, COUNTED_WORDS),
  };
}

/** `value` as the next parameter of `values`, by its placeholder. */
export function param(values: unknown[], value: unknown): string {
  values.push(value);
  return `$${values.length}`;
}

/** `text` as an SQL string constant (a term: letters and digits, quotes, `(`, `<->`, spaces). */
const constant = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * How many chunks `term` (a word, or a phrase's expression) is in, counted up to just past
 * COMMON_WORD_CHUNKS. The term is a constant of the statement (letters and digits, so it needs
 * no escaping but its quotes'), which lets the planner use the column's statistics: the GIN
 * index for a rare term, a short scan that stops at the cap for a common one.
 */
function countSql(term: string): string {
  return `(SELECT count(*) FROM (SELECT 1 FROM search_chunks WHERE tsv @@ to_tsquery('english', ${constant(term)})
    LIMIT ${COMMON_WORD_CHUNKS + 1}) AS counted)::integer`;
}

/**
 * countSql for a single word, unless the word is one lexeme of `common` (param: the lexemes
 * the table's statistics put far past the cap, common-lexemes.ts), which is taken as past the cap
 * without counting: counting a common word costs a GIN scan of its whole posting list and a heap
 * visit per match up to the cap, several ms at 100,000 chunks (docs/postgres.md).
 */
function wordCountSql(word: string, common: string | undefined): string {
  if (common === undefined) return countSql(word);
  const lexemes = `tsvector_to_array(to_tsvector('english', ${constant(word)}))`;
  return `CASE WHEN cardinality(${lexemes}) = 1 AND ${lexemes} <@ ${common}
    THEN ${COMMON_WORD_CHUNKS + 1} ELSE ${countSql(word)} END`;
}

/**
 * The phrases worth ranking as one to_tsquery text, NULL when none is (keptPhrases,
 * @oxydra/memory): each counted in the statement, and left out when it is in more than
 * COMMON_WORD_CHUNKS chunks (concat_ws skips the NULLs).
 */
function keptPhrasesSql(phrases: readonly string[]): string {
  if (phrases.length === 0) return 'NULL::text';
  const each = phrases.map(
    (phrase) => `CASE WHEN ${countSql(phrase)} <= ${COMMON_WORD_CHUNKS} THEN ${constant(phrase)} END`,
  );
  return `nullif(concat_ws(' | ', ${each.join(', ')}), '')`;
}

/**
 * The full-text side of a search as CTEs of one statement, the last `text_hits (id, score)`: the
 * best `limit` chunks `where` allows by ts_rank, ordered by score then id. Undefined when the
 * query has no term. The words are counted in the same statement and chosen there as rareWords
 * (@oxydra/memory) chooses them: ranked rarest first (ties in the query's order), a word in no
 * chunk left out, and kept while it is in at most COMMON_WORD_CHUNKS chunks and the kept words
 * together in at most MATCH_BUDGET_CHUNKS (a running sum; the first kept word is never past it,
 * being under the common cap). The tsquery is the phrases and then the kept words, rarest
 * first, joined by `|`, as it was when the words were counted in a statement of their own.
 * Phrases are counted too, and one in more than COMMON_WORD_CHUNKS chunks left out, as the libSQL
 * index does (keptPhrases); only common terms: no tsquery, no hit. `common`: lexemes taken as
 * past the cap without counting (common-lexemes.ts); a word of one of them costs no count.
 */
export function textHitsCtes(
  query: string,
  limit: number,
  values: unknown[],
  where: (values: unknown[]) => string,
  common: readonly string[] = [],
): string[] | undefined {
  const { phrases, words } = textTerms(query);
  if (phrases.length === 0 && words.length === 0) return undefined;
  const phraseText = keptPhrasesSql(phrases);
  const ctes: string[] = [];
  let tsquery = `to_tsquery('english', ${phraseText})`;
  if (words.length > 0) {
    const lexemes = common.length > 0 ? `${param(values, common)}::text[]` : undefined;
    const counted = words.map((word, i) => `('${word}', ${i}, ${wordCountSql(word, lexemes)})`);
    ctes.push(
      `text_words (word, n, chunks) AS (VALUES ${counted.join(', ')})`,
      `text_rare AS (SELECT word, n, chunks,
         sum(chunks) OVER (ORDER BY chunks, n ROWS UNBOUNDED PRECEDING) AS together
         FROM text_words WHERE chunks > 0)`,
    );
    const rare = `(SELECT string_agg(quote_literal(word), ' | ' ORDER BY chunks, n) FROM text_rare
      WHERE chunks <= ${COMMON_WORD_CHUNKS} AND together <= ${MATCH_BUDGET_CHUNKS})`;
    tsquery = `to_tsquery('english', nullif(concat_ws(' | ', ${phraseText}, ${rare}), ''))`;
  }
  const scope = where(values);
  ctes.push(
    `text_hits AS (SELECT id, ts_rank(tsv, q) AS score FROM search_chunks, ${tsquery} AS q
       WHERE tsv @@ q${scope} ORDER BY score DESC, id LIMIT ${param(values, limit)})`,
  );
  return ctes;
}
