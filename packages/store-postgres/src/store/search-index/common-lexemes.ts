/**
 * The lexemes of search_chunks.tsv that the table's statistics put well past COMMON_WORD_CHUNKS
 * chunks, so the full-text side takes a query word of one of them as common without counting
 * it (text-query.ts). Counting a common word scans its whole GIN posting list and visits a heap
 * row per match up to the cap: at 100,000 chunks of English text that was most of the full-text
 * side (docs/postgres.md, "Common words from the statistics").
 *
 * ANALYZE keeps a tsvector column's most common lexemes with the share of rows holding each
 * (pg_stats.most_common_elems / most_common_elem_freqs, from a sample of up to 30,000 rows); a
 * share times the table's rows (pg_class.reltuples) estimates a lexeme's chunks. The estimates were
 * within about 10% of the counts at 100,000 chunks, so only a lexeme estimated past
 * ESTIMATE_MARGIN times the cap is listed: one nearer the cap is counted as before. No statistics
 * yet (a new or small table before its first ANALYZE): an empty list, every word counted.
 * Read in the background at most once a minute (PeriodicReading).
 */
import { COMMON_WORD_CHUNKS } from '@oxydra/memory/store-input';
import type { PgDatabase } from '../database.js';
import { PeriodicReading } from './periodic-reading.js';

const ESTIMATE_MARGIN = 1.5;

const COMMON_LEXEMES_SQL = `SELECT coalesce(array_agg(m.lexeme ORDER BY m.lexeme), '{}') AS lexemes
  FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
  JOIN pg_stats s ON s.schemaname = ns.nspname AND s.tablename = c.relname AND s.attname = 'tsv',
  unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m (lexeme, share)
  WHERE c.oid = to_regclass('search_chunks') AND m.share * c.reltuples > ${ESTIMATE_MARGIN * COMMON_WORD_CHUNKS}`;

export function commonLexemes(db: PgDatabase): PeriodicReading<readonly string[]> {
  return new PeriodicReading<readonly string[]>(db, [], async (sql) => {
    const { rows } = await sql.query<{ lexemes: string[] }>(COMMON_LEXEMES_SQL);
    return rows[0]?.lexemes ?? [];
  });
}
