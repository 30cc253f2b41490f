/**
 * A `chunks` row as the search hands it on (IndexedChunk): one home for the columns read and
 * their decoding, used by the candidates' read (store.ts) and by the full-text ranking, which
 * reads its candidates' rows in its own statement (fts-search.ts).
 */
import type { IndexedChunk } from '@oxydra/types';
import { parseTaint } from '@oxydra/types';

/** The columns chunkOf decodes, each qualified by `table` (an alias in a join). */
export const chunkColumns = (table: string): string =>
  ['id', 'source_type', 'source_id', 'session_id', 'user_id', 'text', 'content_hash', 'tags', 'taint']
    .map((column) => `${table}.${column}`)
    .join(', ');

export function num(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value ?? 0);
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseTags(value: unknown): string[] {
  try {
    const parsed: unknown = JSON.parse(optional(value) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((tag): tag is string => typeof tag === 'string') : [];
  } catch {
    return [];
  }
}

/** A row holding chunkColumns' columns (by their bare names) as the chunk it stores. */
export function chunkOf(row: Record<string, unknown>): IndexedChunk {
  const chunk: IndexedChunk = {
    id: num(row.id),
    source: {
      type: row.source_type === 'conversation' ? 'conversation' : 'note',
      id: String(row.source_id),
    },
    text: String(row.text),
    hash: String(row.content_hash),
    tags: parseTags(row.tags),
  };
  const sessionId = optional(row.session_id);
  const userId = optional(row.user_id);
  const taint = parseTaint(row.taint);
  if (sessionId !== undefined) chunk.sessionId = sessionId;
  if (userId !== undefined) chunk.userId = userId;
  if (taint !== undefined) chunk.taint = taint;
  return chunk;
}
