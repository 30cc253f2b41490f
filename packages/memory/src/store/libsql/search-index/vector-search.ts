/**
 * The vector half of the search: the in-memory code scan proposes a pool several times larger
 * than needed, and the pool is reranked by cosine on the cache's int16 copies of the vectors
 * (int16-vectors.ts), or in SQL on the stored float32 vectors once the index outgrew them.
 * Measured at 256 dimensions on the bench corpus (10k chunks), the share of the exact top 32
 * that a pool of 8× / 16× / 32× the candidates holds: 0.85 / 0.94 / 0.99 (of the exact top 8:
 * 0.94 / 0.98 / 0.99). 16× costs ~1 ms more than 8× at 100k chunks.
 */
import type { Client } from '@libsql/client';
import { isZeroVector } from '../../../search-index-input.js';
import { vectorBlob } from './codes.js';
import type { ScopeFilter } from './scope.js';
import type { VectorCache } from './vector-cache.js';

const POOL_FACTOR = 16;
const MIN_POOL = 128;

function num(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value ?? 0);
}

/** chunk id → cosine similarity, for the best `limit` chunks by vector that `filter` allows. */
export async function vectorCandidates(
  client: Client,
  cache: VectorCache,
  query: Float32Array,
  limit: number,
  filter: ScopeFilter,
): Promise<Map<number, number>> {
  // A query with no word the embedder knows embeds to zero: similar to nothing.
  if (isZeroVector(query)) return new Map();
  await cache.refresh();
  const poolSize = Math.max(MIN_POOL, limit * POOL_FACTOR);
  // Usually the whole pool's copies are in memory: scan and rerank at once, on slots; else
  // the pool, reranked below.
  const pool = cache.nearest(query, poolSize, limit, filter);
  if (pool instanceof Map) return pool;
  if (pool.length === 0) return new Map();
  const inMemory = await cache.rerank(query, pool, limit);
  if (inMemory !== undefined) return inMemory;
  const exact = await client.execute({
    sql: `SELECT chunk_id, vector_distance_cos(vector, ?) AS distance FROM chunk_vectors
          WHERE id IN (SELECT value FROM json_each(?))`,
    args: [vectorBlob(query), JSON.stringify(pool)],
  });
  const scored = exact.rows
    .map((row) => [num(row.chunk_id), 1 - num(row.distance)] as const)
    .filter(([, similarity]) => Number.isFinite(similarity))
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit);
  return new Map(scored);
}
