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
 * QUANTIZED_BUDGET_BYTES in all. Past that the cache gives up its copies and the caller
 * reranks in SQL as before, so a very large index costs no more memory than the codes.
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

  constructor(
    readonly dimensions: number,
    private readonly budget = QUANTIZED_BUDGET_BYTES,
  ) {}

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
    const values = new Int16Array(slots * this.dimensions);
    values.set(this.values);
    const scales = new Float32Array(slots);
    scales.set(this.scales);
    const norms = new Float32Array(slots);
    norms.set(this.norms);
    this.values = values;
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
    const norm = this.norms[slot]!;
    if (norm <= 0 || query.norm === 0) return Number.NaN;
    const values = this.values;
    const coordinates = query.values;
    const dims = this.dimensions;
    // Four accumulators: the adds no longer wait on each other (the rerank's hot loop).
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    let o = slot * dims;
    let i = 0;
    for (const end = dims - (dims & 3); i < end; i += 4, o += 4) {
      d0 += values[o]! * coordinates[i]!;
      d1 += values[o + 1]! * coordinates[i + 1]!;
      d2 += values[o + 2]! * coordinates[i + 2]!;
      d3 += values[o + 3]! * coordinates[i + 3]!;
    }
    for (; i < dims; i++, o++) d0 += values[o]! * coordinates[i]!;
    return ((d0 + d1 + d2 + d3) * this.scales[slot]!) / (norm * query.norm);
  }
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
