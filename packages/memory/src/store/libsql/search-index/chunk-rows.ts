/**
 * Chunk rows that recall read lately, kept so the next search does not read them again: the
 * read of a search's candidates (32 + 32 rows with their text) was the largest statement of a
 * persisted kernel turn, and one conversation's recalls keep meeting the same chunks.
 *
 * Why a kept row stays true: a chunk row is never updated (replacing a source deletes its
 * chunks and inserts new ones), only deleted, and its id may then be reused (INTEGER PRIMARY
 * KEY without AUTOINCREMENT). Only rows of chunks the vector cache proposed are kept, and served
 * only for ids it proposes again (store.ts): deleting such a chunk deletes its vector (a
 * trigger), which logs a tombstone, which the cache applies at the next search's refresh and
 * counts in `removals`. Every kept row is dropped when that count moves, so a row is served
 * only while no vector of the cache was removed since it was read. A chunk deleted between a
 * search's refresh and its read of the rows can still come back in that search, as its vector
 * candidate already could (the refresh is what the search saw).
 *
 * Bounded: MAX_ROWS rows, least recently used go first.
 */
import type { IndexedChunk } from '@oxydra/types';

const MAX_ROWS = 1024;

/** A copy the caller may change without changing the kept row. */
function copy(chunk: IndexedChunk): IndexedChunk {
  const copied = { ...chunk, source: { ...chunk.source }, tags: [...chunk.tags] };
  if (chunk.taint !== undefined) copied.taint = chunk.taint.map((entry) => ({ ...entry }));
  return copied;
}

export class ChunkRows {
  private readonly rows = new Map<number, IndexedChunk>();
  /** The vector cache's removals when the kept rows were read. */
  private mark = -1;

  /** Forgets every row when vectors were removed since they were kept (see the file comment). */
  validFor(removals: number): void {
    if (removals === this.mark) return;
    this.rows.clear();
    this.mark = removals;
  }

  get(id: number): IndexedChunk | undefined {
    const row = this.rows.get(id);
    if (row === undefined) return undefined;
    this.rows.delete(id);
    this.rows.set(id, row);
    return copy(row);
  }

  /**
   * Keeps `chunk`, read while the vector cache had made `removals` removals and holds its
   * vector. Not kept when vectors were removed meanwhile: the row may predate a deletion.
   */
  keep(chunk: IndexedChunk, removals: number): void {
    if (removals !== this.mark) return;
    this.rows.delete(chunk.id);
    this.rows.set(chunk.id, copy(chunk));
    if (this.rows.size > MAX_ROWS) {
      const oldest = this.rows.keys().next().value;
      if (oldest !== undefined) this.rows.delete(oldest);
    }
  }

  get size(): number {
    return this.rows.size;
  }
}
