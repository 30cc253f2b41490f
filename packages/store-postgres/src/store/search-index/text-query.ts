/**
 * A user's query → a to_tsquery expression that can only mean "any of these words". The terms
 * are the libSQL index's (queryTerms, @oxydra/memory/store-input): tokens of letters and digits
 * only, so nothing the user types (quotes, `&`, `|`, `!`, `<->`, `:*`, backslashes) reaches the
 * tsquery parser as syntax. Each token is written as a quoted operand, which to_tsquery runs
 * through the English configuration (stemming, stop words dropped without error); a word written
 * with inner punctuation (`OXY-4711`) also gives a phrase (`'oxy' <-> '4711'`) that ranks the
 * exact identifier higher. The alternatives are joined with `|`: a chunk needs one of them, as
 * with the libSQL index's OR, and ts_rank orders by how much of the query it holds.
 */
import { queryTerms } from '@oxydra/memory/store-input';

/** Letters and digits only (queryTerms' tokens); anything else is left out rather than quoted. */
const SAFE = /^[\p{L}\p{N}\p{Co}]+$/u;

const operand = (token: string) => `'${token}'`;

/** The to_tsquery text for `query`, or undefined when it has no searchable word. */
export function tsqueryText(query: string): string | undefined {
  const { phrases, words } = queryTerms(query);
  const safe = (tokens: readonly string[]) => tokens.every((token) => SAFE.test(token));
  const alternatives = [
    ...phrases.filter(safe).map((tokens) => `(${tokens.map(operand).join(' <-> ')})`),
    ...words.filter((word) => SAFE.test(word)).map(operand),
  ];
  return alternatives.length === 0 ? undefined : alternatives.join(' | ');
}
