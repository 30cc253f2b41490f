/**
 * Bulk replacement (SearchIndexStore.replaceSources): many sources' chunks replaced by one
 * statement, the DELETE of their old chunks in it, so a bulk indexing pays one round trip and
 * one transaction per batch instead of per note. Each source's fields go once (unnest over the
 * sources), its chunks refer to it by position; tags travel as JSON text, as unnest cannot take
 * a ragged array of arrays.
 */
import type { SearchSource, SourceReplacement } from '@oxydra/types';
import { taintText } from '@oxydra/types';
import type { Sql } from '../database.js';
import type { ModelSql } from './model-sql.js';

/** The last replacement of each source (as replacing them one after another would leave). */
export function lastPerSource(replacements: readonly SourceReplacement[]): SourceReplacement[] {
  const last = new Map<string, SourceReplacement>();
  for (const replacement of replacements) {
    const key = `${replacement.source.type}\u0000${replacement.source.id}`;
    last.delete(key);
    last.set(key, replacement);
  }
  return [...last.values()];
}

/**
 * Replaces the chunks of every source of `replacements` (distinct sources, locked by the caller)
 * with theirs, numbered from 0; `vectors[i][j]` is chunk j of replacement i in pgvector's text
 * form. One with no chunks only loses its old ones.
 */
export async function replaceSourcesSql(
  sql: Sql,
  model: ModelSql,
  replacements: readonly SourceReplacement[],
  vectors: readonly (readonly string[])[],
  tags: readonly string[][],
): Promise<void> {
  const sources: SearchSource[] = replacements.map((r) => r.source);
  const chunk = {
    source: [] as number[],
    ordinal: [] as number[],
    text: [] as string[],
    hash: [] as string[],
    taint: [] as (string | null)[],
  };
  replacements.forEach((replacement, i) => {
    replacement.chunks.forEach((c, j) => {
      chunk.source.push(i + 1);
      chunk.ordinal.push(j);
      chunk.text.push(c.text);
      chunk.hash.push(c.hash);
      chunk.taint.push(taintText(c.taint));
    });
  });
  await sql.query(
    `WITH gone AS (
       DELETE FROM search_chunks c USING unnest($1::text[], $2::text[]) AS s (type, id)
       WHERE c.source_type = s.type AND c.source_id = s.id),
     src AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
         AS s (type, id, user_id, tags, n))
     INSERT INTO search_chunks
       (source_type, source_id, session_id, user_id, tags, created_at, ordinal, text, content_hash,
        model_key, embedding, taint)
     SELECT s.type, s.id, NULL, s.user_id, ARRAY(SELECT jsonb_array_elements_text(s.tags::jsonb)),
            $5::text, c.ordinal, c.text, c.hash, $6::integer, c.embedding::${model.type}, c.taint
     FROM unnest($7::bigint[], $8::integer[], $9::text[], $10::text[], $11::text[], $12::text[])
       AS c (source, ordinal, text, hash, embedding, taint)
     JOIN src s ON s.n = c.source`,
    [
      sources.map((s) => s.type),
      sources.map((s) => s.id),
      replacements.map((r) => r.fields?.userId ?? null),
      tags.map((t) => JSON.stringify(t)),
      new Date().toISOString(),
      model.key,
      chunk.source,
      chunk.ordinal,
      chunk.text,
      chunk.hash,
      vectors.flat(),
      chunk.taint,
    ],
  );
}
