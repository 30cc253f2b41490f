/**
 * What the vector scan of one query left behind, so that the same query again scans only the
 * codes added since (vector-cache.ts). The same query comes back often: recall searches the
 * latest user message before every model call, so a turn with tool calls searches it once per
 * call, and a gateway, a scheduled run or a bench sends the same prompt many times. Without
 * this every search scored every stored code (about 23 ns each in JavaScript: 0.46 ms at 20,000
 * chunks; ~10 ns in WebAssembly, code-scan.ts), so a stored turn cost more the more turns were
 * stored.
 *
 * Exact, not approximate: the scores of the codes already scored are the same numbers the full
 * scan would compute (scoreCodes starts anywhere with the same sums), and a selection (TopK)
 * continued with the slots added since makes the same pushes, in the same order, as one pass
 * over all of them would, so the pool, its ties and its order are those of a full scan. That
 * holds while slots only get appended: any removal (a deleted chunk moves the last slot into
 * its hole, a reload clears everything) starts the memo over.
 *
 * A few queries are kept (MEMOS), least recently used going first, each with its own scores
 * (8 bytes per cached vector: 0.8 MB at 100,000) and lookup tables (64 KB at 256 dimensions).
 */

import { TopK, WASM_FROM } from './code-scan.js';
import { codeBytes, scoreTables } from './codes.js';
import type { ScopeFilter } from './scope.js';
import { type DotFunction, dotFunction, growMemory, type WasmMemory, wasmMemory } from './wasm-kernels.js';

/** How many distinct queries are kept by default. */
const MEMOS = 4;
/** How many (filter, pool size) selections one query keeps; more start that query's list over. */
const SELECTIONS = 8;
/** How many rerank similarities one query keeps (a pool is 512): more start the list over. */
const SIMILARITIES = 4096;

/** A pooled vector row's chunk and its exact similarity to the query (libSQL's cosine). */
export interface ExactSimilarity {
  readonly chunkId: number;
  readonly similarity: number;
}

/** A selection of the best slots for one filter and pool size, and how many slots it has seen. */
export interface Selection {
  readonly top: TopK;
  selected: number;
}

export class QueryMemo {
  /** The query (a copy) and its bits: equal bits, equal scores. */
  query: Float32Array;
  bits: Int32Array;
  /** Searches of this query since it was last made: similarities are kept from the second on. */
  uses = 0;
  /** The cache's removal count when this memo started: another count means slots moved. */
  removals = -1;
  /** scores[i] is slot i's code score, for the slots below `scored`. */
  scores = new Float64Array(0);
  scored = 0;
  /** The scan's lookup tables for the query; the buffer is kept for the next query. */
  private tableBuffer: Float64Array | undefined;
  private tablesReady = false;
  /** The query made ready for the rerank, once. */
  prepared: RerankQuery | undefined;
  /** Rerank similarity per slot (copies never change while slots stay where they are). */
  readonly similarities = new Map<number, number>();
  /**
   * The SQL rerank's similarities (the index outgrew the int16 copies) per vector row id: a
   * row is never updated nor its id reused, so its similarity to this query never changes, and
   * a repeated query asks SQL only for the pool's new entrants (exact-rerank.ts).
   */
  readonly exact = new Map<number, ExactSimilarity>();
  private readonly selections = new Map<string, Selection>();

  constructor(query: Float32Array, removals: number) {
    this.query = query;
    this.bits = new Int32Array(query.length);
    this.reset(query, removals);
  }

  /** Made the memo of `query` (a fresh one), keeping its buffers. */
  reset(query: Float32Array, removals: number): void {
    if (this.bits.length !== query.length) this.bits = new Int32Array(query.length);
    this.bits.set(new Int32Array(query.buffer, query.byteOffset, query.length));
    this.uses = 0;
    this.query = Float32Array.from(query);
    this.tablesReady = false;
    this.restart(removals);
  }

  /** Everything but the query and its tables forgotten: the slots moved. */
  restart(removals: number): void {
    this.removals = removals;
    this.scored = 0;
    this.prepared = undefined;
    this.similarities.clear();
    this.exact.clear();
    this.selections.clear();
  }

  matches(query: Float32Array): boolean {
    if (query.length !== this.bits.length) return false;
    const bits = new Int32Array(query.buffer, query.byteOffset, query.length);
    for (let i = 0; i < bits.length; i++) if (bits[i] !== this.bits[i]) return false;
    return true;
  }

  /** Room for `capacity` scores, those already computed kept. */
  fit(capacity: number): Float64Array {
    if (this.scores.length < capacity) {
      const grown = new Float64Array(capacity);
      grown.set(this.scores.subarray(0, this.scored));
      this.scores = grown;
    }
    return this.scores;
  }

  /** The scan's lookup tables (codes.ts), made once per query. */
  tables(): Float64Array {
    if (!this.tablesReady || this.tableBuffer === undefined) {
      this.tableBuffer = scoreTables(this.query, this.tableBuffer);
      this.tablesReady = true;
    }
    return this.tableBuffer;
  }

  /** The selection for `filter` and a pool of `limit`, empty the first time. */
  selection(filter: ScopeFilter, limit: number): Selection {
    const key = selectionKey(filter, limit);
    let selection = this.selections.get(key);
    if (selection === undefined) {
      if (this.selections.size >= SELECTIONS) this.selections.clear();
      selection = { top: new TopK(limit), selected: 0 };
      this.selections.set(key, selection);
    }
    return selection;
  }

  /** Keep the SQL rerank's `similarities` (by vector row id), up to SIMILARITIES in all. */
  keepExact(similarities: ReadonlyMap<number, ExactSimilarity>): void {
    if (this.exact.size + similarities.size > SIMILARITIES) this.exact.clear();
    if (similarities.size > SIMILARITIES) return;
    for (const [vectorId, similarity] of similarities) this.exact.set(vectorId, similarity);
  }

  /** The rerank query, made once per memo. */
  rerankQuery(): RerankQuery {
    this.prepared ??= rerankQuery(this.query);
    return this.prepared;
  }

  /**
   * `similarity` of `slot`, computed at most once while the slots stay put; a query met once
   * keeps none (a pool's 512 Map entries would cost a one-off search more than they save).
   */
  similarity(slot: number, compute: (slot: number, query: RerankQuery) => number): number {
    if (this.uses < 2) return compute(slot, this.rerankQuery());
    let value = this.similarities.get(slot);
    if (value === undefined) {
      if (this.similarities.size >= SIMILARITIES) this.similarities.clear();
      value = compute(slot, this.rerankQuery());
      this.similarities.set(slot, value);
    }
    return value;
  }
}

function selectionKey(filter: ScopeFilter, limit: number): string {
  return JSON.stringify([
    limit,
    filter.includeNotes,
    filter.includeConversation,
    filter.userId ?? null,
    filter.sessionId ?? null,
    filter.tags,
  ]);
}

/** The memos of the last few distinct queries, most recently used first. */
export class QueryMemos {
  private readonly memos: QueryMemo[] = [];

  /** `kept` queries at most; 0 keeps none (every memo starts empty: a full scan). */
  constructor(private readonly kept = MEMOS) {}

  /** The memo kept for `query`, if any, left where it is in the order. */
  find(query: Float32Array): QueryMemo | undefined {
    return this.memos.find((memo) => memo.matches(query));
  }

  /** The memo of `query`, valid for a cache that has removed `removals` slots so far. */
  for(query: Float32Array, removals: number): QueryMemo {
    const at = this.memos.findIndex((memo) => memo.matches(query));
    let memo: QueryMemo;
    if (at >= 0) {
      memo = this.memos[at]!;
      this.memos.splice(at, 1);
      if (memo.removals !== removals) memo.restart(removals);
    } else if (this.kept === 0) {
      return new QueryMemo(query, removals);
    } else if (this.memos.length >= this.kept) {
      // The least recently used one's buffers serve the new query.
      memo = this.memos.pop()!;
      memo.reset(query, removals);
    } else {
      memo = new QueryMemo(query, removals);
    }
    memo.uses++;
    this.memos.unshift(memo);
    return memo;
  }
}

/**
 * int16 copies of the stored float32 vectors, one per cache slot, so the rerank of the code
 * scan's pool runs in memory instead of as a SQL query per search (that query was ~1 ms of
 * every recall: 512 rows read and decoded by `vector_distance_cos`).
 *
 * Each vector is scaled by its own largest coordinate to ±32767 and rounded; its true norm is
 * kept beside it, so a similarity is dot(query, int16)·scale / (|query|·|vector|). Why 16 bits:
 * on bench/memory.mjs (10k chunks, 200 queries) int8 lost 2 of 95 hits at 8 and some recall
 * against the exact top 32 (0.941 vs 0.944); int16 gives exactly the SQL rerank's figures.
 *
 * Bounded: 2·`dimensions` + 8 bytes per vector (520 B at 256 dimensions), and no more than
 * QUANTIZED_BUDGET_BYTES in all. Past that the cache gives up its copies and the pool is
 * reranked in SQL on the float32 vectors, so a very large index costs no more memory than the
 * codes; a repeated query's SQL similarities are kept in its memo (QueryMemo.exact), so it
 * asks SQL only for the pool's new entrants, as the int16 path computes only theirs.
 *
 * From WASM_FROM slots of room the values live in a WebAssembly memory, behind the query's
 * coordinates at address 0, and the dot products run there (wasm-kernels.ts's `dot`: the same
 * sums in the same order, so the same similarities to the bit); fewer stay in JavaScript, for
 * the scan's reason (each memory reserves gigabytes of address space).
 */

/** Most bytes the copies' room may take: 129,055 vectors of 256 dimensions (21,788 of 1,536). */
export const QUANTIZED_BUDGET_BYTES = 64 * 1024 * 1024;

const NOT_READ = -1;

export class Int16Vectors {
  private values = new Int16Array(0);
  /** Per slot: the factor that turns the int16 values back into the float ones. */
  private scales = new Float32Array(0);
  /** Per slot: the float vector's norm (0: could not be read; NOT_READ: not read yet). */
  private norms = new Float32Array(0);
  /** The values' WebAssembly memory (the query at 0, the values at `valuesAt`), once room reached wasmFrom. */
  private memory: WasmMemory | undefined;
  private wasmDot: DotFunction | undefined;
  /** The rerank query whose coordinates the memory holds at address 0. */
  private loaded: RerankQuery | undefined;
  private readonly valuesAt: number;

  constructor(
    readonly dimensions: number,
    private readonly budget = QUANTIZED_BUDGET_BYTES,
    /** Room from which the values go to WebAssembly; Infinity: never. */
    private readonly wasmFrom = WASM_FROM,
  ) {
    this.valuesAt = dimensions * 8;
  }

  /** Whether the dot products run in WebAssembly. */
  get wasm(): boolean {
    return this.memory !== undefined;
  }

  /** Bytes one vector takes here. */
  get bytesPerVector(): number {
    return 2 * this.dimensions + 8;
  }

  /** How many slots the copies have room for. */
  get room(): number {
    return this.norms.length;
  }

  /**
   * Room for `capacity` slots, or for as many as the budget holds when that is fewer. The
   * cache doubles its capacity, and refusing a doubling that passes the budget gave the copies
   * up while twice as many still fitted: at 256 dimensions the rerank fell back to SQL past
   * 65,536 vectors (1.96 -> 2.96 ms per persisted kernel turn); now past 129,055.
   */
  grow(capacity: number): void {
    const slots = Math.min(capacity, Math.floor(this.budget / this.bytesPerVector));
    if (slots <= this.room) return;
    const length = slots * this.dimensions;
    if (this.memory === undefined && slots >= this.wasmFrom) {
      const memory = wasmMemory(this.valuesAt + length * 2);
      // Undefined without WebAssembly SIMD: the values stay in JavaScript.
      this.wasmDot = dotFunction(codeBytes(this.dimensions), memory);
      if (this.wasmDot !== undefined) {
        new Int16Array(memory.buffer, this.valuesAt, length).set(this.values);
        this.memory = memory;
      }
    }
    if (this.memory !== undefined) {
      growMemory(this.memory, this.valuesAt + length * 2);
      this.values = new Int16Array(this.memory.buffer, this.valuesAt, length);
    } else {
      const values = new Int16Array(length);
      values.set(this.values);
      this.values = values;
    }
    const scales = new Float32Array(slots);
    scales.set(this.scales);
    const norms = new Float32Array(slots);
    norms.set(this.norms);
    this.scales = scales;
    this.norms = norms;
  }

  /** Store the float32 bytes `blob` (libSQL's F32_BLOB layout) in `slot`. */
  set(slot: number, blob: Uint8Array): void {
    const dims = this.dimensions;
    if (blob.byteLength !== dims * 4) {
      // Not a vector of this size: never similar (the SQL rerank gave no finite score either).
      this.norms[slot] = 0;
      return;
    }
    const floats =
      blob.byteOffset % 4 === 0
        ? new Float32Array(blob.buffer, blob.byteOffset, dims)
        : new Float32Array(blob.slice().buffer);
    let max = 0;
    let squares = 0;
    for (let i = 0; i < dims; i++) {
      const x = floats[i]!;
      squares += x * x;
      const abs = Math.abs(x);
      if (abs > max) max = abs;
    }
    const scale = max / 32767;
    const base = slot * dims;
    for (let i = 0; i < dims; i++) this.values[base + i] = scale === 0 ? 0 : Math.round(floats[i]! / scale);
    this.scales[slot] = scale;
    this.norms[slot] = Math.sqrt(squares);
  }

  /** `slot` holds a vector whose copy was not read yet. */
  unset(slot: number): void {
    this.norms[slot] = NOT_READ;
  }

  /** Whether `slot`'s copy was read (set since its last unset). */
  has(slot: number): boolean {
    return this.norms[slot] !== NOT_READ;
  }

  /** Slot `from`'s vector copied into slot `to` (the cache keeps its slots dense). */
  move(from: number, to: number): void {
    const dims = this.dimensions;
    this.values.copyWithin(to * dims, from * dims, (from + 1) * dims);
    this.scales[to] = this.scales[from]!;
    this.norms[to] = this.norms[from]!;
  }

  /** Cosine similarity of `query` with the vector in `slot`; NaN if none. */
  similarity(slot: number, query: RerankQuery): number {
    // Another size would read past the query (JavaScript: NaN) or a stale tail of the last one
    // in the WebAssembly memory: refused both ways.
    if (query.values.length !== this.dimensions) {
      throw new RangeError(`query has ${query.values.length} dimensions, the vectors ${this.dimensions}`);
    }
    const norm = this.norms[slot]!;
    if (norm <= 0 || query.norm === 0) return Number.NaN;
    const dims = this.dimensions;
    let dot: number;
    const wasmDot = this.wasmDot;
    if (wasmDot !== undefined) {
      if (this.loaded !== query) {
        new Float64Array(this.memory!.buffer, 0, dims).set(query.values);
        this.loaded = query;
      }
      dot = wasmDot(this.valuesAt + slot * dims * 2, 0, dims);
    } else {
      dot = int16Dot(this.values, slot * dims, query.values, dims);
    }
    return (dot * this.scales[slot]!) / (norm * query.norm);
  }
}

/**
 * The dot product of `dims` int16 values from `values[at]` with `coordinates`, the rerank's hot
 * loop in JavaScript. wasm-kernels.ts's `dot` makes the same sums in the same order: change both.
 */
export function int16Dot(values: Int16Array, at: number, coordinates: Float64Array, dims: number): number {
  // Four accumulators: the adds no longer wait on each other.
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let o = at;
  let i = 0;
  for (const end = dims - (dims & 3); i < end; i += 4, o += 4) {
    d0 += values[o]! * coordinates[i]!;
    d1 += values[o + 1]! * coordinates[i + 1]!;
    d2 += values[o + 2]! * coordinates[i + 2]!;
    d3 += values[o + 3]! * coordinates[i + 3]!;
  }
  for (; i < dims; i++, o++) d0 += values[o]! * coordinates[i]!;
  return d0 + d1 + d2 + d3;
}

/**
 * A query made ready for similarity, once per search: its coordinates widened to float64 (exact),
 * so the hot loop reads doubles instead of converting a float32 at every step (measured ~25%
 * less time for a 512-row pool at 256 dimensions), and its norm. The sums are the same ones,
 * in the same order: the similarities do not change by a bit.
 */
export interface RerankQuery {
  readonly values: Float64Array;
  readonly norm: number;
}

export function rerankQuery(query: Float32Array): RerankQuery {
  return { values: Float64Array.from(query), norm: vectorNorm(query) };
}

export function vectorNorm(vector: Float32Array): number {
  let squares = 0;
  for (let i = 0; i < vector.length; i++) squares += vector[i]! * vector[i]!;
  return Math.sqrt(squares);
}

/**
 * The best `limit` of the SQL rerank's rows, as chunk id → similarity, in the order a read of the
 * whole pool gave them: SQL returns an `id IN (json_each)` list's rows in ascending id order, and
 * the rows with a finite similarity were stable-sorted by it, best first, and cut at `limit`;
 * that is the order (similarity descending, then vector row id ascending), which holds whatever
 * order the rows are pushed in. A bounded insertion: a pool of 512 costs ~512 comparisons with
 * the worst kept, not a sort.
 */
export class BestExact {
  private readonly ids: number[] = [];
  private readonly kept: ExactSimilarity[] = [];
  constructor(private readonly limit: number) {}

  push(vectorId: number, row: ExactSimilarity): void {
    const similarity = row.similarity;
    if (!Number.isFinite(similarity)) return;
    const ids = this.ids;
    const kept = this.kept;
    let at = kept.length;
    while (at > 0) {
      const before = kept[at - 1]!.similarity;
      // 0 and -0 are equal here, as they were to the sort's `b - a`.
      if (before > similarity || (before === similarity && ids[at - 1]! < vectorId)) break;
      at--;
    }
    if (at >= this.limit) return;
    kept.splice(at, 0, row);
    ids.splice(at, 0, vectorId);
    if (kept.length > this.limit) {
      kept.pop();
      ids.pop();
    }
  }

  result(): Map<number, number> {
    return new Map(this.kept.map(({ chunkId, similarity }) => [chunkId, similarity]));
  }
}
