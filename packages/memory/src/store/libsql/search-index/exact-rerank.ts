/**
 * The rerank once an index outgrew its int16 copies' budget (QUANTIZED_BUDGET_BYTES, query-memo.ts):
 * libSQL's cosine on the stored float32 vectors of the pool the code scan proposed. Loaded by
 * vectorCandidates (vector-cache.ts) only then: an index under the budget reranks in memory.
 */
import type { Client } from '@libsql/client';
import { num, vectorBlob } from './codes.js';
import { BestExact, type ExactSimilarity, type QueryMemo } from './query-memo.js';

/**
 * chunk id → exact similarity of `query` with each of `vectorIds` (from search), the best
 * `limit`. `read` asks SQL for the rows it is given; the query's memo (`memo`, when the cache
 * keeps one) keeps what it returned by vector row id (never updated nor reused: the same number
 * forever), so a repeated query reads only the pool's new entrants, and none when the pool is
 * unchanged. The result is the one a read of the whole pool gave (BestExact). When the memo
 * already has every pooled row, the cache's `nearest` gives this result itself, with no read. A
 * row deleted after the scan is left out when read and kept when remembered: the same race as a
 * row deleted between the read and the caller.
 */
export async function rerankExact(
  memo: QueryMemo | undefined,
  query: Float32Array,
  vectorIds: readonly number[],
  limit: number,
  read: (vectorIds: number[]) => Promise<Iterable<readonly [number, ExactSimilarity]>>,
): Promise<Map<number, number>> {
  // Copied before the read: while it runs, the memo may start over for another query.
  const known = new Map<number, ExactSimilarity>();
  const missing: number[] = [];
  for (const vectorId of vectorIds) {
    const similarity = memo?.exact.get(vectorId);
    if (similarity === undefined) missing.push(vectorId);
    else known.set(vectorId, similarity);
  }
  if (missing.length > 0) {
    const fresh = new Map(await read(missing));
    for (const [vectorId, similarity] of fresh) known.set(vectorId, similarity);
    if (memo?.matches(query)) memo.keepExact(fresh);
  }
  const best = new BestExact(limit);
  for (const [vectorId, similarity] of known) best.push(vectorId, similarity);
  return best.result();
}

/** vector row id → libSQL's cosine similarity of `query` with that row's stored vector. */
export async function readExact(
  client: Client,
  query: Float32Array,
  vectorIds: readonly number[],
): Promise<(readonly [number, ExactSimilarity])[]> {
  const exact = await client.execute({
    sql: `SELECT id, chunk_id, vector_distance_cos(vector, ?) AS distance FROM chunk_vectors
          WHERE id IN (SELECT value FROM json_each(?))`,
    args: [vectorBlob(query), JSON.stringify(vectorIds)],
  });
  return exact.rows.map(
    (row) => [num(row.id), { chunkId: num(row.chunk_id), similarity: 1 - num(row.distance) }] as const,
  );
}
