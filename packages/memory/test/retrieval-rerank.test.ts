/** The rerank of the code scan's pool in memory (int16 copies) against libSQL's exact cosine. */
import type { Client, InStatement } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import { Retriever } from '../src/retrieval/index.js';
import { vectorBlob } from '../src/store/libsql/search-index/codes.js';
import {
  Int16Vectors,
  int16Dot,
  type RerankQuery,
  rerankQuery,
  vectorNorm,
} from '../src/store/libsql/search-index/query-memo.js';
import { VectorCache, vectorCandidates } from '../src/store/libsql/search-index/vector-cache.js';
import { ALL_SCOPES, type TempDb, tempDb } from './retrieval-helpers.js';

const NO_FILTER = ALL_SCOPES;
const MODEL = 'deterministic-v1-256';

function randomVector(dims: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: dims }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state / 2 ** 31 - 1) ** 3;
  });
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (vectorNorm(a) * vectorNorm(b));
}

describe('Int16Vectors', () => {
  for (const dims of [64, 256, 301]) {
    it(`gives the float cosine to within 1e-5 (${dims} dimensions)`, () => {
      const store = new Int16Vectors(dims);
      store.grow(8);
      const query = randomVector(dims, 1);
      for (let slot = 0; slot < 8; slot++) {
        const vector = randomVector(dims, 100 + slot);
        store.set(slot, vectorBlob(vector));
        const similarity = store.similarity(slot, rerankQuery(query));
        expect(Math.abs(similarity - cosine(query, vector))).toBeLessThan(1e-5);
      }
    });
  }

  it('moves a slot, keeps what it held when it grows, and scores unreadable vectors as NaN', () => {
    const store = new Int16Vectors(64);
    store.grow(2);
    const a = randomVector(64, 7);
    store.set(0, vectorBlob(a));
    store.set(1, new Uint8Array(10));
    const query = randomVector(64, 8);
    const prepared = rerankQuery(query);
    expect(store.similarity(1, prepared)).toBeNaN();
    store.grow(4);
    store.move(0, 3);
    expect(store.similarity(3, prepared)).toBeCloseTo(cosine(query, a), 5);
    store.set(2, vectorBlob(new Float32Array(64)));
    expect(store.similarity(2, prepared)).toBeNaN();
    expect(store.has(2)).toBe(true);
    store.unset(2);
    expect(store.has(2)).toBe(false);
    expect(store.similarity(2, prepared)).toBeNaN();
  });

  it('grows up to its budget, never past it', () => {
    const store = new Int16Vectors(256, 10 * (2 * 256 + 8));
    store.grow(8);
    expect(store.room).toBe(8);
    store.grow(16);
    expect(store.room).toBe(10);
    store.grow(32);
    expect(store.room).toBe(10);
  });
});

/** float32 values met at the edges: zeros of both signs, subnormals, the largest, ±1. */
const EDGES = [
  0, -0, 1.401298464324817e-45, -1.401298464324817e-45, 1.1754942106924411e-38, 3.4028234663852886e38,
  -3.4028234663852886e38, 1, -1,
];

/** float32 values of a vector that leave its other coordinates whole: zeros of both signs, subnormals, ±1. */
const SMALL_EDGES = EDGES.filter((value) => Math.abs(value) <= 1);

/**
 * `dims` random coordinates: 'even' uniform in (-1, 1) with a tenth small edge values (a
 * stored vector: its int16 values span their range), 'spread' over twelve orders of magnitude
 * (a query), 'edges' edge values only.
 */
function edgyVector(dims: number, seed: number, kind: 'even' | 'spread' | 'edges'): Float32Array {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const pick = (values: number[]) => values[Math.floor(next() * values.length)]!;
  return Float32Array.from({ length: dims }, () => {
    if (kind === 'edges') return pick(EDGES);
    if (next() < 0.1) return pick(SMALL_EDGES);
    return kind === 'even' ? next() * 2 - 1 : (next() * 2 - 1) * 10 ** Math.floor(next() * 12 - 6);
  });
}

/** Bit for bit, +0/-0 told apart (NaN counts equal to NaN: no score either way). */
function sameBits(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

describe('Int16Vectors in WebAssembly', () => {
  for (const dims of [1, 3, 4, 7, 64, 256, 301, 1536]) {
    it(`gives the JavaScript rerank's similarities to the bit (${dims} dimensions)`, () => {
      const count = 256;
      const wasm = new Int16Vectors(dims, undefined, 0);
      const js = new Int16Vectors(dims, undefined, Number.POSITIVE_INFINITY);
      // Grown in two steps: the WebAssembly memory grows in place, the values kept.
      wasm.grow(count / 2);
      js.grow(count / 2);
      const vectors = Array.from({ length: count }, (_, slot) =>
        edgyVector(dims, 1000 * dims + slot, slot % 8 === 3 ? 'edges' : 'even'),
      );
      vectors[5] = new Float32Array(dims).fill(3.4028234663852886e38);
      vectors[6] = new Float32Array(dims).fill(-1.401298464324817e-45);
      for (let slot = 0; slot < count / 2; slot++) {
        wasm.set(slot, vectorBlob(vectors[slot]!));
        js.set(slot, vectorBlob(vectors[slot]!));
      }
      wasm.grow(count);
      js.grow(count);
      for (let slot = count / 2; slot < count; slot++) {
        wasm.set(slot, vectorBlob(vectors[slot]!));
        js.set(slot, vectorBlob(vectors[slot]!));
      }
      expect(wasm.wasm).toBe(true);
      expect(js.wasm).toBe(false);
      const queries: RerankQuery[] = [0, 1, 2, 3].map((seed) =>
        rerankQuery(edgyVector(dims, seed, seed === 3 ? 'edges' : seed === 2 ? 'even' : 'spread')),
      );
      queries.push(rerankQuery(new Float32Array(dims).fill(3.4028234663852886e38)));
      const differing: string[] = [];
      let finite = 0;
      // Queries alternated per slot: the memory's query is replaced between calls.
      for (let slot = 0; slot < count; slot++) {
        for (const query of slot % 2 === 0 ? queries : [...queries].reverse()) {
          const a = wasm.similarity(slot, query);
          const b = js.similarity(slot, query);
          if (Number.isFinite(b)) finite++;
          if (!sameBits(a, b)) differing.push(`slot ${slot}: ${a} against ${b}`);
        }
      }
      expect(differing).toEqual([]);
      // Most pairs score (not every comparison NaN against NaN).
      expect(finite).toBeGreaterThan(count * queries.length * 0.5);
    });
  }

  it('refuses a query of another size both ways (WebAssembly would read a stale query’s tail)', () => {
    for (const wasmFrom of [0, Number.POSITIVE_INFINITY]) {
      const store = new Int16Vectors(8, undefined, wasmFrom);
      store.grow(1);
      store.set(0, vectorBlob(edgyVector(8, 1, 'even')));
      expect(Number.isFinite(store.similarity(0, rerankQuery(edgyVector(8, 2, 'even'))))).toBe(true);
      for (const dims of [7, 9]) {
        expect(() => store.similarity(0, rerankQuery(edgyVector(dims, 3, 'even')))).toThrow(
          `query has ${dims} dimensions, the vectors 8`,
        );
      }
    }
  });

  it('reads the same dot product as the JavaScript loop for extreme int16 values', () => {
    // Slots holding ±32767 and 0 only (one coordinate far larger than the rest rounds them to 0).
    const dims = 13;
    const wasm = new Int16Vectors(dims, undefined, 0);
    const js = new Int16Vectors(dims, undefined, Number.POSITIVE_INFINITY);
    wasm.grow(3);
    js.grow(3);
    const spike = new Float32Array(dims).fill(1e-30);
    spike[12] = -1e30;
    const alternating = Float32Array.from({ length: dims }, (_, i) => (i % 2 === 0 ? 1 : -1));
    for (const [slot, vector] of [spike, alternating].entries()) {
      wasm.set(slot, vectorBlob(vector));
      js.set(slot, vectorBlob(vector));
    }
    const query = rerankQuery(Float32Array.from({ length: dims }, (_, i) => (i === 12 ? 1e-45 : 3e38)));
    for (const slot of [0, 1]) {
      expect(sameBits(wasm.similarity(slot, query), js.similarity(slot, query))).toBe(true);
    }
    expect(int16Dot(Int16Array.of(32767, -32768, 1, -1, 5), 0, Float64Array.of(1, 1, 1, 1, 2), 5)).toBe(9);
  });
});

describe('vector candidates reranked in memory', () => {
  let db: TempDb;
  beforeEach(async () => {
    db = await tempDb();
  });
  afterEach(async () => {
    await db.cleanup();
  });

  /** Words drawn at random from a fixed list, the same sequence for the same seed. */
  function wordPicker(seed: number): () => string {
    const words =
      'harbour lantern billing routing storage keeper invoice tide ledger quartz meadow copper signal orchard vessel'.split(
        ' ',
      );
    let state = seed;
    return () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return words[state % words.length]!;
    };
  }

  /** A retriever and `note(i)`: note-i, `words` words drawn with `seed`, then its number. */
  function noteWriter(seed: number, words: number) {
    const retriever = new Retriever(db.client, createDeterministicEmbedder());
    const pick = wordPicker(seed);
    const note = (i: number) =>
      retriever.indexNote({
        id: `note-${i}`,
        content: `${Array.from({ length: words }, pick).join(' ')} ${i}.`,
      });
    return { retriever, note };
  }

  /** The same candidates from the int16 rerank and from SQL's (a cache with no room for copies). */
  async function expectSameAsSql(
    inMemory: VectorCache,
    inSql: VectorCache,
    queries: string[],
  ): Promise<void> {
    const embedder = createDeterministicEmbedder();
    for (const query of queries) {
      const [vector] = await embedder.embed([query]);
      const fromMemory = await vectorCandidates(db.client, inMemory, vector!, 32, NO_FILTER);
      const fromSql = await vectorCandidates(db.client, inSql, vector!, 32, NO_FILTER);
      expect(await inSql.rerank(vector!, [1], 1)).toBeUndefined();
      expect(fromMemory.size).toBeGreaterThan(0);
      expect([...fromMemory.keys()]).toEqual([...fromSql.keys()]);
      for (const [chunk, similarity] of fromSql) {
        // int16 rounding against SQL's float32 arithmetic: far below any gap the ranking saw.
        expect(Math.abs((fromMemory.get(chunk) ?? 0) - similarity)).toBeLessThan(1e-4);
      }
    }
  }

  it('scans and reranks on slots as search then rerank do, once the pooled copies are read', async () => {
    const retriever = new Retriever(db.client, createDeterministicEmbedder());
    // Random word mixes: distinct similarities (which of two tied chunks makes the cut is arbitrary).
    const pick = wordPicker(7);
    for (let i = 0; i < 40; i++) {
      await retriever.indexNote({ id: `note-${i}`, content: Array.from({ length: 5 }, pick).join(' ') });
    }
    const cache = new VectorCache(db.client, MODEL, 256);
    await cache.refresh();
    const [query] = await createDeterministicEmbedder().embed(['harbour tide 3']);
    // A first load reads no float vectors: the slot path cannot rerank yet, and gives the pool.
    expect(cache.nearest(query!, 128, 8, NO_FILTER)).toEqual(cache.search(query!, 128, NO_FILTER));
    const viaIds = await cache.rerank(query!, cache.search(query!, 128, NO_FILTER), 8);
    const viaSlots = cache.nearest(query!, 128, 8, NO_FILTER);
    expect(viaIds?.size).toBe(8);
    expect([...(viaSlots ?? [])]).toEqual([...(viaIds ?? [])]);
    // A filter that nothing passes: no candidates, not "copies missing".
    expect(cache.nearest(query!, 128, 8, { ...NO_FILTER, includeNotes: false })).toEqual(new Map());
  });

  it('keeps its copies while the budget holds every vector, though the cache’s room is larger', async () => {
    const { note } = noteWriter(3, 5);
    for (let i = 0; i < 5; i++) await note(i);
    // Room for 5 copies; the cache's own room is 1,024 slots from its first row.
    const cache = new VectorCache(db.client, MODEL, 256, 5 * (2 * 256 + 8));
    await cache.refresh();
    const [query] = await createDeterministicEmbedder().embed(['harbour tide']);
    expect((await cache.rerank(query!, cache.search(query!, 8, NO_FILTER), 8))?.size).toBe(5);
    await note(5);
    await cache.refresh();
    expect(cache.size).toBe(6);
    expect(await cache.rerank(query!, cache.search(query!, 8, NO_FILTER), 8)).toBeUndefined();
  });

  it('ranks and scores chunks as the SQL rerank does, also after deletions move slots', async () => {
    const retriever = new Retriever(db.client, createDeterministicEmbedder());
    // Random word mixes: distinct similarities, no near-ties whose order rounding could flip.
    const pick = wordPicker(42);
    for (let i = 0; i < 60; i++) {
      const content = Array.from({ length: 6 }, pick).join(' ');
      await retriever.indexNote({ id: `note-${i}`, content: `${content} ${i}.` });
    }
    // Kept across the deletions, so the caches move their last rows into the holes.
    const inMemory = new VectorCache(db.client, MODEL, 256);
    const inSql = new VectorCache(db.client, MODEL, 256, 0);
    const queries = ['harbour lantern', 'billing invoice step 3', 'storage tide keeper'];
    await expectSameAsSql(inMemory, inSql, queries);
    for (let i = 0; i < 60; i += 3) await retriever.removeSource('note', `note-${i}`);
    await expectSameAsSql(inMemory, inSql, queries);
    expect(inMemory.size).toBe(40);
    // Rows added after the first load arrive with their vectors (the first load read none).
    for (let i = 60; i < 70; i++) {
      await retriever.indexNote({
        id: `note-${i}`,
        content: `${Array.from({ length: 6 }, pick).join(' ')} ${i}.`,
      });
    }
    await expectSameAsSql(inMemory, inSql, queries);
    expect(inMemory.size).toBe(50);
  });

  /** db.client, counting the rerank's SQL statements and the vector rows they read. */
  function countingClient(): { client: Client; statements: number; rows: number } {
    const counts = { client: db.client, statements: 0, rows: 0 };
    counts.client = {
      execute: async (statement: InStatement) => {
        const result = await db.client.execute(statement);
        if (typeof statement !== 'string' && statement.sql.includes('vector_distance_cos')) {
          counts.statements++;
          counts.rows += result.rows.length;
        }
        return result;
      },
    } as unknown as Client;
    return counts;
  }

  it('gives the same candidates past its int16 budget as within it, and SQL’s similarities to the bit', async () => {
    const { retriever, note } = noteWriter(11, 6);
    for (let i = 0; i < 30; i++) await note(i);
    const within = new VectorCache(db.client, MODEL, 256);
    // Room for 40 copies: given up while the notes below are added.
    const past = new VectorCache(db.client, MODEL, 256, 40 * (2 * 256 + 8));
    // No memo, no copies: every search reads the whole pool in SQL (the rerank before this change).
    const reference = new VectorCache(db.client, MODEL, 256, 0, 0);
    const embedder = createDeterministicEmbedder();
    const queries = ['harbour lantern', 'billing invoice step 3', 'storage tide keeper', 'harbour lantern'];
    const vectors = await embedder.embed(queries);
    let compared = 0;
    let exact = 0;
    const expectSame = async () => {
      // Past its budget (no copies), its similarities are SQL's; within it, the int16 ones.
      await past.refresh();
      const isPast = (await past.rerank(vectors[0]!, [1], 1)) === undefined;
      for (const vector of vectors) {
        const fromWithin = await vectorCandidates(db.client, within, vector!, 8, NO_FILTER);
        const fromPast = await vectorCandidates(db.client, past, vector!, 8, NO_FILTER);
        const fromReference = await vectorCandidates(db.client, reference, vector!, 8, NO_FILTER);
        expect(fromPast.size).toBe(8);
        expect([...fromPast.keys()]).toEqual([...fromWithin.keys()]);
        expect([...fromPast.keys()]).toEqual([...fromReference.keys()]);
        if (isPast) {
          expect([...fromPast]).toEqual([...fromReference]);
          exact++;
        }
        compared++;
      }
    };
    await expectSame();
    // Added in steps, each searched twice (the second from the memo): past 40 the copies go.
    for (let i = 30; i < 70; i += 10) {
      for (let j = i; j < i + 10; j++) await note(j);
      await expectSame();
      await expectSame();
    }
    expect(await past.rerank(vectors[0]!, [1], 1)).toBeUndefined();
    expect((await within.rerank(vectors[0]!, [1], 1))?.size).toBe(1);
    // Deletions move slots and start the memos over.
    for (let i = 0; i < 70; i += 4) await retriever.removeSource('note', `note-${i}`);
    await expectSame();
    await expectSame();
    expect(past.size).toBe(52);
    expect([compared, exact]).toEqual([44, 32]);
  });

  it('past its int16 budget, orders tied chunks as a read of the whole pool did, from memory too', async () => {
    const retriever = new Retriever(db.client, createDeterministicEmbedder());
    // Five texts, each stored six times: every similarity is tied six ways (a persisted kernel
    // turn stores the same prompt and reply again and again).
    const texts = ['harbour lantern', 'harbour tide', 'lantern keeper', 'billing ledger', 'harbour'];
    for (let i = 0; i < 30; i++) await retriever.indexNote({ id: `note-${i}`, content: texts[(i * 7) % 5]! });
    const past = new VectorCache(db.client, MODEL, 256, 0);
    const counting = countingClient();
    const [query] = await createDeterministicEmbedder().embed(['harbour lantern']);
    // The pool (128 at least) holds all 30 rows: the rerank before this change read them all in
    // one statement, its rows in the order SQL gave, and stable-sorted them.
    const ids = (await db.client.execute('SELECT id FROM chunk_vectors')).rows.map((row) => Number(row.id));
    const read = await db.client.execute({
      sql: `SELECT chunk_id, vector_distance_cos(vector, ?) AS distance FROM chunk_vectors
            WHERE id IN (SELECT value FROM json_each(?))`,
      args: [vectorBlob(query!), JSON.stringify(ids.reverse())],
    });
    const sorted = read.rows
      .map((row) => [Number(row.chunk_id), 1 - Number(row.distance)] as const)
      .filter(([, similarity]) => Number.isFinite(similarity))
      .sort((a, b) => b[1] - a[1]);
    for (const limit of [3, 8, 14, 30]) {
      const expected = sorted.slice(0, limit);
      // The first read by SQL (or from what an earlier limit left), the next ones from memory.
      for (let round = 0; round < 3; round++) {
        expect([...(await vectorCandidates(counting.client, past, query!, limit, NO_FILTER))]).toEqual(
          expected,
        );
      }
    }
    // Cut inside ties: which of the tied rows make it is SQL's order, not the pool's.
    expect(new Set(sorted.map(([, similarity]) => similarity)).size).toBe(5);
    expect(counting.statements).toBe(1);
  });

  it('once it gave its int16 copies up, reads no float vector with the new rows', async () => {
    const { note } = noteWriter(9, 5);
    for (let i = 0; i < 3; i++) await note(i);
    /** Per refresh: how many of the new rows came with their float vector. */
    const withVectors: number[] = [];
    const client = {
      execute: (statement: InStatement) => db.client.execute(statement),
      batch: async (...args: Parameters<Client['batch']>) => {
        const results = await db.client.batch(...args);
        withVectors.push(results[1]!.rows.filter((row) => row.vector !== null).length);
        return results;
      },
    } as unknown as Client;
    // Room for 4 copies: given up at the fifth row.
    const cache = new VectorCache(client, MODEL, 256, 4 * (2 * 256 + 8));
    const [query] = await createDeterministicEmbedder().embed(['harbour tide']);
    await cache.refresh();
    await note(3);
    await cache.refresh();
    expect((await cache.rerank(query!, cache.search(query!, 8, NO_FILTER), 8))?.size).toBe(4);
    await note(4);
    await cache.refresh();
    expect(await cache.rerank(query!, [1], 1)).toBeUndefined();
    await note(5);
    await note(6);
    await cache.refresh();
    expect(cache.size).toBe(7);
    // The first load reads none (rerank reads them when pooled); the fourth and fifth rows come
    // with theirs (the fifth's is read before the copies go); past the budget none would be kept.
    expect(withVectors).toEqual([0, 1, 1, 0]);
  });

  it('past its int16 budget, reads in SQL only the pool rows a repeated query has not met', async () => {
    const { note } = noteWriter(5, 5);
    for (let i = 0; i < 40; i++) await note(i);
    const cache = new VectorCache(db.client, MODEL, 256, 0);
    const counting = countingClient();
    const [query] = await createDeterministicEmbedder().embed(['harbour tide keeper']);
    const first = await vectorCandidates(counting.client, cache, query!, 8, NO_FILTER);
    // A pool of 128 holds every one of the 40 rows.
    expect([counting.statements, counting.rows]).toEqual([1, 40]);
    const again = await vectorCandidates(counting.client, cache, query!, 8, NO_FILTER);
    expect([...again]).toEqual([...first]);
    expect([counting.statements, counting.rows]).toEqual([1, 40]);
    for (let i = 40; i < 43; i++) await note(i);
    await vectorCandidates(counting.client, cache, query!, 8, NO_FILTER);
    // Only the three new rows.
    expect([counting.statements, counting.rows]).toEqual([2, 43]);
    // Another query reads its own pool.
    const [other] = await createDeterministicEmbedder().embed(['billing ledger']);
    await vectorCandidates(counting.client, cache, other!, 8, NO_FILTER);
    expect([counting.statements, counting.rows]).toEqual([3, 86]);
  });
});
