/**
 * How chunks and their vectors are stored (and a chunk row read back), and how vectors are
 * compared. Each vector is kept twice: as float32 bytes (libSQL's
 * F32_BLOB layout, so `vector_distance_cos` reranks exactly in SQL) and as a 1-bit code that
 * an in-memory scan compares with the float query.
 *
 * The code is the sign of each coordinate after a fixed random rotation (random sign flips,
 * then a Walsh-Hadamard transform). Without the rotation a few large coordinates carry most of
 * a vector and the signs of the many small ones are noise: on the bench corpus the scan's top
 * 256 held 64% of the exact top 8; rotated, the energy is spread evenly and it holds 94%.
 * The comparison is "asymmetric": only the stored side is quantised, so the score estimates
 * the real dot product (a symmetric Hamming distance was far worse for short queries).
 *
 * Stored codes depend on ROTATION_SEED and the transform: changing either means re-deriving
 * every code from its float vector.
 */
import type { InStatement, InValue } from '@libsql/client';
import type { IndexedChunk, SearchSourceType as SourceType } from '@oxydra/types';
import { parseTaint } from '@oxydra/types';

const ROTATION_SEED = 0x0c0de5;

/** Little-endian float32 bytes (every platform Node supports is little-endian), a copy. */
export function vectorBlob(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
}

/** The rotated size: the next power of two (the transform needs one), at least 64 (one 8-byte word). */
export function rotatedSize(dimensions: number): number {
  let size = 64;
  while (size < dimensions) size *= 2;
  return size;
}

/** Code size in bytes: one bit per rotated coordinate (a multiple of 8, for the scan's word pairs). */
export function codeBytes(dimensions: number): number {
  return rotatedSize(dimensions) / 8;
}

const signCache = new Map<number, Float32Array>();

/** ±1 per coordinate from a fixed seed (mulberry32), the same prefix for every size. */
function rotationSigns(size: number): Float32Array {
  let signs = signCache.get(size);
  if (signs === undefined) {
    let state = ROTATION_SEED;
    signs = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      signs[i] = ((t ^ (t >>> 14)) >>> 0) & 1 ? 1 : -1;
    }
    signCache.set(size, signs);
  }
  return signs;
}

/**
 * The vector zero-padded to rotatedSize, signs flipped, then Walsh-Hadamard transformed
 * (unnormalised: a common scale changes neither signs nor rankings). O(n log n).
 */
export function rotate(vector: Float32Array): Float64Array {
  const size = rotatedSize(vector.length);
  const signs = rotationSigns(size);
  const out = new Float64Array(size);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * signs[i]!;
  for (let half = 1; half < size; half *= 2) {
    for (let start = 0; start < size; start += 2 * half) {
      for (let j = start; j < start + half; j++) {
        const a = out[j]!;
        const b = out[j + half]!;
        out[j] = a + b;
        out[j + half] = a - b;
      }
    }
  }
  return out;
}

/** Bit j of byte b is set when rotated coordinate 8b+j is positive. */
export function signCode(vector: Float32Array): Uint8Array {
  const rotated = rotate(vector);
  const code = new Uint8Array(rotated.length / 8);
  for (let i = 0; i < rotated.length; i++) {
    if (rotated[i]! > 0) code[i >> 3]! |= 1 << (i & 7);
  }
  return code;
}

/**
 * Lookup tables for scoring codes against `query`: entry [b * 256 + v] is the dot product of
 * the rotated query's coordinates 8b..8b+7 with the ±1 vector that byte value v stands for. A
 * code's score is then one lookup per byte (32 at 256 dimensions) instead of 256
 * multiplications. Float64: measured faster to read in the scan than float32.
 */
export function scoreTables(query: Float32Array, reuse?: Float64Array): Float64Array {
  const rotated = rotate(query);
  const bytes = rotated.length / 8;
  // Every entry is written below, so a buffer of the right size is reused as it is.
  const tables = reuse?.length === bytes * 256 ? reuse : new Float64Array(bytes * 256);
  const at = (i: number) => rotated[i]!;
  for (let b = 0; b < bytes; b++) {
    const base = b * 256;
    let allNegative = 0;
    for (let j = 0; j < 8; j++) allNegative -= at(b * 8 + j);
    tables[base] = allNegative;
    // Each value is a smaller one (its lowest set bit cleared) with that bit turned to +1.
    for (let v = 1; v < 256; v++) {
      const low = 31 - Math.clz32(v & -v);
      tables[base + v] = tables[base + (v & (v - 1))]! + 2 * at(b * 8 + low);
    }
  }
  return tables;
}

/**
 * Score codes `from` to `count` (exclusive) laid end to end in `words` (each `bytes` long, a
 * multiple of 8) into the same places of `out`. The hot loop of every search: two words (8
 * bytes) per step, two accumulators, and fixed table offsets per byte measured ~2x faster than
 * one lookup per loop iteration (2.5 vs 5.6 ms for 100k codes of 32 bytes). A code's score
 * does not depend on where the loop started: the same sums in the same order.
 */
export function scoreCodes(
  words: Uint32Array,
  count: number,
  bytes: number,
  tables: Float64Array,
  out: Float64Array,
  from = 0,
): void {
  const stride = bytes >> 2;
  for (let i = from, o = from * stride; i < count; i++, o += stride) {
    let even = 0;
    let odd = 0;
    for (let k = 0, t = 0; k < stride; k += 2, t += 2048) {
      const x = words[o + k]!;
      const y = words[o + k + 1]!;
      even +=
        tables[t + (x & 255)]! +
        tables[t + 256 + ((x >>> 8) & 255)]! +
        tables[t + 512 + ((x >>> 16) & 255)]! +
        tables[t + 768 + (x >>> 24)]!;
      odd +=
        tables[t + 1024 + (y & 255)]! +
        tables[t + 1280 + ((y >>> 8) & 255)]! +
        tables[t + 1536 + ((y >>> 16) & 255)]! +
        tables[t + 1792 + (y >>> 24)]!;
    }
    out[i] = even + odd;
  }
}

/** The SQL the libSQL search index writes with: one chunk row and its vector row, in the same batch. */

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
export const TOMBSTONE_MARK = "SELECT seq FROM sqlite_sequence WHERE name = 'chunk_vector_tombstones'";

// A `chunks` row as the search hands it on (IndexedChunk): one home for the columns read and
// their decoding, read back as insertChunk writes it: used by the candidates' read (store.ts) and by the full-text
// ranking, which reads its candidates' rows in its own statement (fts-search.ts).

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
