/** The SQL the libSQL search index writes with: one chunk row and its vector row, in the same batch. */
import type { InStatement, InValue } from '@libsql/client';
import type { SearchSourceType as SourceType } from '@oxydra/types';
import { signCode, vectorBlob } from './codes.js';

export interface ChunkRow {
  sourceType: SourceType;
  sourceId: string;
  sessionId: string | undefined;
  userId: string | undefined;
  /** Its place in the source; undefined: after the source's last chunk (read in the same transaction). */
  ordinal: number | undefined;
  text: string;
  hash: string;
  /** JSON array, normalised. */
  tags: string;
  /** taintText's: JSON, or null for none. */
  taint: string | null;
  createdAt: string;
}

/** A vector as stored: its 1-bit code and its float32 bytes. */
export interface StoredVector {
  code: Uint8Array;
  vector: Uint8Array;
}

/** What is stored for `vector`: its sign code for the in-memory scan and its float32 bytes. */
export function storedVector(vector: Float32Array): StoredVector {
  return { code: signCode(vector), vector: vectorBlob(vector) };
}

const INSERT_CHUNK = `INSERT INTO chunks
  (source_type, source_id, session_id, user_id, ordinal, text, content_hash, tags, taint, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const INSERT_CHUNK_AFTER_LAST = `INSERT INTO chunks
  (source_type, source_id, session_id, user_id, ordinal, text, content_hash, tags, taint, created_at)
  VALUES (?, ?, ?, ?,
    (SELECT coalesce(max(ordinal), -1) + 1 FROM chunks WHERE source_type = ? AND source_id = ?),
    ?, ?, ?, ?, ?)`;

// last_insert_rowid() is the chunk just inserted: the FTS trigger's own insert does not change
// it once the trigger has finished (SQLite restores it).
const INSERT_VECTOR_FOR_LAST_CHUNK = `INSERT INTO chunk_vectors (chunk_id, model_id, dims, code, vector)
  VALUES (last_insert_rowid(), ?, ?, ?, ?)`;

// A chunk deleted meanwhile gets no vector (an orphan row would only be scanned and skipped).
const INSERT_VECTOR = `INSERT INTO chunk_vectors (chunk_id, model_id, dims, code, vector)
  SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?)`;

/** Deleted vectors leave tombstones for other processes' caches; keep the newest this many. */
const TOMBSTONES_KEPT = 10_000;

export function insertChunk(
  row: ChunkRow,
  vector: StoredVector,
  model: { id: string; dims: number },
): InStatement[] {
  const where: InValue[] = [row.sourceType, row.sourceId, row.sessionId ?? null, row.userId ?? null];
  const what: InValue[] = [row.text, row.hash, row.tags, row.taint, row.createdAt];
  const chunk: InStatement =
    row.ordinal === undefined
      ? { sql: INSERT_CHUNK_AFTER_LAST, args: [...where, row.sourceType, row.sourceId, ...what] }
      : { sql: INSERT_CHUNK, args: [...where, row.ordinal, ...what] };
  return [
    chunk,
    { sql: INSERT_VECTOR_FOR_LAST_CHUNK, args: [model.id, model.dims, vector.code, vector.vector] },
  ];
}

/** A chunk's vector replaced by one from another model (reindex). */
export function replaceVector(
  chunkId: number,
  vector: StoredVector,
  model: { id: string; dims: number },
): InStatement[] {
  return [
    { sql: 'DELETE FROM chunk_vectors WHERE chunk_id = ?', args: [chunkId] },
    { sql: INSERT_VECTOR, args: [chunkId, model.id, model.dims, vector.code, vector.vector, chunkId] },
  ];
}

export function deleteSource(type: SourceType, id: string): InStatement {
  // The triggers remove the chunks' index entries and vectors, and log the vectors' tombstones.
  return { sql: 'DELETE FROM chunks WHERE source_type = ? AND source_id = ?', args: [type, id] };
}

export const PRUNE_TOMBSTONES: InStatement = {
  sql: 'DELETE FROM chunk_vector_tombstones WHERE seq <= (SELECT max(seq) FROM chunk_vector_tombstones) - ?',
  args: [TOMBSTONES_KEPT],
};

/** The last vector tombstone's seq: moves whenever a chunk (with its vector) is deleted. */
export const TOMBSTONE_MARK: InStatement =
  "SELECT seq FROM sqlite_sequence WHERE name = 'chunk_vector_tombstones'";
