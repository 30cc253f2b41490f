/**
 * The full-text half of the search: FTS5 bm25 over the chunks, best first.
 *
 * FTS5 scores every document that matches, so a query word found in most chunks ("use",
 * "file") costs time in proportion to the whole index: at 100k chunks one such word made a
 * search take tens of ms. Words are therefore counted first (capped, so counting is cheap),
 * and the rarest kept while the chunks they match stay within a budget; common words carry
 * little bm25 weight (idf) anyway. Phrases (identifiers) are counted too, and a common one left
 * out the same way. When every term is common, the full-text side sits the query out and the
 * vectors decide.
 */
import type { Client, InStatement } from '@libsql/client';
import type { IndexedChunk } from '@oxydra/types';
import { chunkColumns, chunkOf, TOMBSTONE_MARK } from './codes.js';
import { COMMON_WORD_CHUNKS, COUNTED_WORDS, ftsTerms, keptPhrases, rareWords } from './fts-query.js';
import { type ScopeFilter, scopeSql } from './scope.js';

export { COMMON_WORD_CHUNKS };

function count(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value ?? 0);
}

/** What a count reads: every match of one term, up to just past COMMON_WORD_CHUNKS (no scoring). */
const CAPPED_COUNT = `(SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ${COMMON_WORD_CHUNKS + 1}))`;

/**
 * How many chunks match each of `expressions` (capped, see CAPPED_COUNT), as columns n0, n1, ...,
 * and with `withMark` the tombstone mark as `seq`: one statement, so one consistent read, as the
 * read transaction around one statement per word gave, for a third of its CPU (a search counts
 * ~5 words: 7 statements with that transaction's BEGIN and COMMIT, ~0.17 against ~0.1 ms).
 *
 * A phrase is in no more chunks than any of its words, and is kept whenever it is in no more
 * than COMMON_WORD_CHUNKS (keptPhrases): so a phrase one of whose words is counted here in 1 to
 * that many chunks is not counted (its column NULL). Not for a word in none: one the tokenizer
 * reads as no token at all would match nothing alone and drop out of the phrase. The words are
 * counted first, in a materialized CTE (each count once), and the phrase's count is a CASE
 * branch SQLite evaluates only when none of its words is so bounded. A phrase's count reads its words' positions too: it cost ~2 word
 * counts (`notes.txt` in a program's every prompt, ~120 against ~65 µs a word at 1,160 chunks).
 */
function countsStatement(expressions: readonly string[], withMark: boolean): InStatement {
  const words = new Map<string, number>();
  expressions.forEach((expression, i) => {
    if (!expression.includes(' ')) words.set(expression, i);
  });
  const inner: string[] = [];
  const innerArgs: string[] = [];
  const outer: string[] = [];
  const outerArgs: string[] = [];
  expressions.forEach((expression, i) => {
    const bounds = phraseWords(expression).flatMap((word) => {
      const at = words.get(word);
      return at === undefined ? [] : [`n${at} BETWEEN 1 AND ${COMMON_WORD_CHUNKS}`];
    });
    if (bounds.length === 0) {
      inner.push(`${CAPPED_COUNT} AS n${i}`);
      innerArgs.push(expression);
    } else {
      outer.push(`CASE WHEN ${bounds.join(' OR ')} THEN NULL ELSE ${CAPPED_COUNT} END AS n${i}`);
      outerArgs.push(expression);
    }
  });
  if (withMark) inner.push(`(${TOMBSTONE_MARK}) AS seq`);
  if (outer.length === 0) return { sql: `SELECT ${inner.join(', ')}`, args: innerArgs };
  return {
    sql: `WITH counted AS MATERIALIZED (SELECT ${inner.join(', ')}) SELECT counted.*, ${outer.join(', ')} FROM counted`,
    args: [...innerArgs, ...outerArgs],
  };
}

/** A quoted phrase's words, each quoted as a word is (`"notes txt"` → `"notes"`, `"txt"`); none for a word. */
function phraseWords(expression: string): string[] {
  if (!expression.includes(' ')) return [];
  // Terms hold letters and digits only (fts-query.ts), so a space only separates tokens.
  return expression
    .slice(1, -1)
    .split(' ')
    .map((token) => `"${token}"`);
}

/**
 * `expressions`' capped counts (and the mark when `withMark`), read in one statement; undefined
 * for a phrase not counted because one of its words is rare (countsStatement).
 */
async function readCounts(
  client: Client,
  expressions: readonly string[],
  withMark: boolean,
): Promise<{ counts: (number | undefined)[]; mark: number }> {
  if (expressions.length === 0 && !withMark) return { counts: [], mark: 0 };
  const row = (await client.execute(countsStatement(expressions, withMark))).rows[0];
  return {
    counts: expressions.map((_, i) => {
      const value = row?.[`n${i}`];
      return value === null ? undefined : count(value);
    }),
    mark: count(row?.seq),
  };
}

/**
 * Chunks per word of `words` (capped just past COMMON_WORD_CHUNKS), skipping those `common` knows.
 * A phrase one of whose words is counted in 1 to COMMON_WORD_CHUNKS chunks has no entry: it is under
 * the cap too, which is all keptPhrases asks.
 */
export async function countWords(
  client: Client,
  words: string[],
  common?: CommonWords,
): Promise<Map<string, number>> {
  const known = common ? words.filter((word) => common.known(word)) : [];
  const unknown = words.filter((word) => !known.includes(word));
  // Every word known common: only the mark is needed, from the vector side's refresh if it reads it.
  const shared = common !== undefined && unknown.length === 0 ? common.sharedMark?.() : undefined;
  const read =
    shared === undefined ? await readCounts(client, unknown, common !== undefined) : { counts: [], mark: 0 };
  const counts = new Map<string, number>();
  /** Phrases left uncounted: under the cap, so not common (a verdict due for a recheck included). */
  const under: string[] = [];
  unknown.forEach((word, i) => {
    const chunks = read.counts[i];
    if (chunks === undefined) under.push(word);
    else counts.set(word, chunks);
  });
  if (common) {
    const mark = shared === undefined ? read.mark : await shared;
    if (common.stillValid(mark)) {
      for (const word of known) counts.set(word, COMMON_WORD_CHUNKS + 1);
    } else if (known.length > 0) {
      // Chunks were deleted since those verdicts: count again (rare).
      const recounted = await readCounts(client, known, false);
      known.forEach((word, i) => {
        const chunks = recounted.counts[i];
        if (chunks === undefined) under.push(word);
        else counts.set(word, chunks);
      });
    }
    for (const [word, chunks] of counts) {
      if (chunks > COMMON_WORD_CHUNKS) common.remember(word);
      else common.forget(word);
    }
    for (const phrase of under) common.forget(phrase);
  }
  return counts;
}

/**
 * The MATCH expression for `query`, after dropping common words and phrases; undefined: nothing
 * worth searching. `common` remembers common words and phrases across calls (CommonWords, below).
 */
export async function ftsMatch(
  client: Client,
  query: string,
  common?: CommonWords,
): Promise<string | undefined> {
  const { phrases, words } = ftsTerms(query);
  if (words.length === 0 && phrases.length === 0) return undefined;
  // Counting every word of a long query costs more than it saves; the first ones are kept.
  const counted = words.slice(0, COUNTED_WORDS);
  // Phrases are counted too: one found in most chunks (a file name every run of a program
  // mentions, `notes.txt`) made every search score all of them, a cost that grew with the index.
  const counts = await countWords(client, [...phrases, ...counted], common);
  const kept = [...keptPhrases(phrases, counts), ...rareWords(counted, counts)];
  // Only common words: scoring them all would take tens of ms and tell the chunks little apart
  // (their idf is low); the vectors decide this query alone.
  return kept.length > 0 ? kept.join(' OR ') : undefined;
}

/** The full-text side's answer: chunk id → -bm25 (higher is better), best first, and those chunks. */
export interface TextCandidates {
  scores: Map<number, number>;
  chunks: Map<number, IndexedChunk>;
}

/**
 * The best `limit` chunks `filter` allows, with their rows: read in the ranking's own statement
 * (the rows of 32 candidates after it cost a statement and its ids' JSON, ~0.13 ms a search).
 */
export async function ftsCandidates(
  client: Client,
  query: string,
  limit: number,
  filter: ScopeFilter,
  common?: CommonWords,
): Promise<TextCandidates> {
  const match = await ftsMatch(client, query, common);
  if (match === undefined) return { scores: new Map(), chunks: new Map() };
  const scope = scopeSql(filter);
  const sql = scope.sql === '' ? RANKED : filteredRanked(scope.sql);
  const result = await client.execute({ sql, args: [match, ...scope.args, limit] });
  const scores = new Map<number, number>();
  const chunks = new Map<number, IndexedChunk>();
  for (const row of result.rows) {
    const id = count(row.id);
    scores.set(id, -count(row.score));
    // No row: a full-text entry whose chunk is gone (the external-content index out of step);
    // left to the candidates' read, as before, which will not find it either.
    if (row.text !== null) chunks.set(id, chunkOf(row));
  }
  return { scores, chunks };
}

/**
 * Unfiltered, the chunks table is read only for the best `limit`. `bm25()` in the ORDER BY rather
 * than FTS5's `rank` column: ordered by `rank`, FTS5 sorts every matching chunk in a statement of
 * its own before the LIMIT is read, while here SQLite keeps only the best `limit` as it goes
 * (~0.5x the time at 2,500 matches). The same function, so the same scores; ties come in rowid
 * order either way (FTS5's sort is stable over its rowid-ordered scan, the LIMIT's sorter breaks
 * ties by arrival), so the same candidates in the same order (tested against `ORDER BY rank`);
 * the outer ORDER BY restates that order for the join (score, then rowid). LEFT JOIN: a
 * candidate stays a candidate whatever its row.
 */
const RANKED = `SELECT r.id AS id, r.score AS score, ${chunkColumns('c').replace('c.id, ', '')}
  FROM (SELECT rowid AS id, bm25(chunks_fts) AS score FROM chunks_fts WHERE chunks_fts MATCH ?
        ORDER BY score LIMIT ?) AS r
  LEFT JOIN chunks c ON c.id = r.id ORDER BY r.score, r.id`;

/**
 * Filtered by `scopeSql`, ordered by `rank`: the chunks are read in rank order until `limit` pass
 * the filter. With bm25() in the ORDER BY, every matching chunk's row would be read for the filter
 * before the LIMIT (measured slower when most chunks pass).
 */
const filteredRanked = (scope: string) =>
  `SELECT c.id AS id, chunks_fts.rank AS score, ${chunkColumns('c').replace('c.id, ', '')}
   FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
   WHERE chunks_fts MATCH ?${scope} ORDER BY chunks_fts.rank LIMIT ?`;

/**
 * Words recall already found common (in more than COMMON_WORD_CHUNKS chunks), so a search need
 * not count them again: counting is ~0.25 ms per common word (FTS5 walks 1,500 doclist
 * entries), paid at every turn for words like "the" or a prompt's recurring ones.
 *
 * A word's chunk count only grows while no chunk is deleted, and every chunk the retriever
 * deletes takes its vector with it, which logs a vector tombstone (migration 003's triggers).
 * So the verdicts hold while the tombstone sequence stands still, read in the same read
 * transaction as the counts; when it moves they are all dropped. A chunk deleted by hand with
 * no vector logs nothing, so each verdict is also recounted after RECHECK_AFTER uses.
 * Bounded: at most MAX_WORDS words (the oldest goes first).
 */
const RECHECK_AFTER = 64;
const MAX_WORDS = 1024;

export class CommonWords {
  private mark: number | undefined;
  /** word → times it was taken as common since counted. */
  private readonly uses = new Map<string, number>();

  /**
   * `sharedMark`, when given, reads the tombstone mark as of now from something that reads it
   * anyway (the vector cache's refresh, shared by the searches started together); undefined
   * from it: nothing to share, the search reads the mark itself.
   */
  constructor(readonly sharedMark?: () => Promise<number> | undefined) {}

  /**
   * Whether `word` is known common (a verdict the caller must confirm with `stillValid`). When a
   * recount is due, only the caller told false counts it: searches running meanwhile keep the
   * verdict (a kernel running 200 agents had each of them count the word again at every recheck).
   */
  known(word: string): boolean {
    const uses = this.uses.get(word);
    if (uses === undefined) return false;
    if (uses >= RECHECK_AFTER) {
      this.uses.set(word, 0);
      return false;
    }
    this.uses.set(word, uses + 1);
    return true;
  }

  /** False (and every verdict dropped) when the tombstone sequence moved since they were made. */
  stillValid(mark: number): boolean {
    if (mark === this.mark) return true;
    this.uses.clear();
    this.mark = mark;
    return false;
  }

  /** `word` was just counted in no more than COMMON_WORD_CHUNKS chunks: not common (any more). */
  forget(word: string): void {
    this.uses.delete(word);
  }

  /** `word` was just counted common, under the mark last given to stillValid. */
  remember(word: string): void {
    if (this.uses.has(word)) return;
    if (this.uses.size >= MAX_WORDS) {
      const oldest = this.uses.keys().next().value;
      if (oldest !== undefined) this.uses.delete(oldest);
    }
    this.uses.set(word, 0);
  }
}
