/**
 * The vector cache's sign codes (codes.ts), one per slot end to end, and their scan. A large
 * store keeps its codes in a WebAssembly memory beside the query's lookup tables and scans
 * them there (scanFunction, wasm-kernels.ts: the same scores to the bit, ~2.5x faster); a small one keeps them
 * in a plain buffer and scans them in JavaScript. Why not always WebAssembly: each memory
 * reserves gigabytes of address space for its guard pages, and a process may open many small
 * stores (tests, one per workspace and model) where the scan costs microseconds anyway.
 */
import { scoreCodes } from './codes.js';
import { growMemory, type ScoreFunction, scanFunction, type WasmMemory, wasmMemory } from './wasm-kernels.js';

/**
 * From this many slots of room the codes move into WebAssembly memory (a scan of ~40 µs in
 * JavaScript), and so do the rerank's int16 copies (query-memo.ts).
 */
export const WASM_FROM = 2048;
/** Fewer codes than this to score (a repeated query's new rows, query-memo.ts): JavaScript, no table copy. */
const SMALL_SPAN = 256;
/** Scores are written in blocks of this many codes into the memory, then copied out. */
const BLOCK = 4096;

export class CodeStore {
  private capacity = 0;
  private buffer = new Uint8Array(0);
  /** The same bytes as uint32 words, for the JavaScript scan. */
  private words = new Uint32Array(0);
  private memory: WasmMemory | undefined;
  private score: ScoreFunction | undefined;
  /** Where in the memory the scores are written and the codes begin (the tables are at 0). */
  private readonly outAt: number;
  private readonly codesAt: number;

  constructor(
    /** Bytes per code (a multiple of 8). */
    readonly bytes: number,
    /** Room from which the codes go to WebAssembly; Infinity: never. */
    private readonly wasmFrom = WASM_FROM,
  ) {
    this.outAt = bytes * 256 * 8;
    this.codesAt = this.outAt + BLOCK * 8;
  }

  /** Whether the scan runs in WebAssembly. */
  get wasm(): boolean {
    return this.memory !== undefined;
  }

  /** Room for `capacity` codes, those held kept. */
  grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    const length = capacity * this.bytes;
    if (this.memory !== undefined) {
      // Grown in place (the old buffer is detached, its bytes kept): views made again.
      growMemory(this.memory, this.codesAt + length);
      this.view(capacity);
    } else if (capacity >= this.wasmFrom) {
      const memory = wasmMemory(this.codesAt + length);
      new Uint8Array(memory.buffer, this.codesAt, this.buffer.length).set(this.buffer);
      this.memory = memory;
      this.score = scanFunction(this.bytes, memory);
      this.view(capacity);
    } else {
      const buffer = new Uint8Array(length);
      buffer.set(this.buffer);
      this.buffer = buffer;
      this.words = new Uint32Array(buffer.buffer);
    }
    this.capacity = capacity;
  }

  private view(capacity: number): void {
    const buffer = this.memory!.buffer;
    this.buffer = new Uint8Array(buffer, this.codesAt, capacity * this.bytes);
    this.words = new Uint32Array(buffer, this.codesAt, (capacity * this.bytes) / 4);
  }

  set(slot: number, code: Uint8Array): void {
    this.buffer.set(code, slot * this.bytes);
  }

  /** Slot `from`'s code copied into slot `to`. */
  move(from: number, to: number): void {
    const bytes = this.bytes;
    this.buffer.copyWithin(to * bytes, from * bytes, (from + 1) * bytes);
  }

  /** scoreCodes over the held codes: slots `from` to `count` (exclusive) scored into the same places of `out`. */
  scoreInto(tables: Float64Array, count: number, out: Float64Array, from = 0): void {
    const memory = this.memory;
    const score = this.score;
    if (memory === undefined || score === undefined || count - from < SMALL_SPAN) {
      scoreCodes(this.words, count, this.bytes, tables, out, from);
      return;
    }
    if (tables.length !== this.bytes * 256) throw new RangeError('tables of another code size');
    const buffer = memory.buffer;
    new Float64Array(buffer, 0, tables.length).set(tables);
    const scores = new Float64Array(buffer, this.outAt, BLOCK);
    for (let start = from; start < count; start += BLOCK) {
      const n = Math.min(BLOCK, count - start);
      score(this.codesAt + start * this.bytes, n, this.outAt);
      out.set(n === BLOCK ? scores : scores.subarray(0, n), start);
    }
  }
}

/**
 * The k largest scores out of many, in one pass with a min-heap of size k: a candidate below
 * the heap's smallest costs one comparison, so scanning 100k scores for the best few hundred
 * is O(n) in practice.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly ids: Float64Array;
  private size = 0;

  constructor(readonly capacity: number) {
    this.scores = new Float64Array(Math.max(1, capacity));
    this.ids = new Float64Array(Math.max(1, capacity));
  }

  /** The score a newcomer must beat once the heap is full. */
  get threshold(): number {
    return this.size < this.capacity ? Number.NEGATIVE_INFINITY : (this.scores[0] ?? 0);
  }

  push(id: number, score: number): void {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      // Sift up with a hole: each parent moves down once, the newcomer is written once where it
      // stops; the same comparisons and the same final layout as swapping at every level.
      const scores = this.scores;
      const ids = this.ids;
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const parentScore = scores[parent]!;
        if (parentScore <= score) break;
        scores[i] = parentScore;
        ids[i] = ids[parent]!;
        i = parent;
      }
      scores[i] = score;
      ids[i] = id;
      return;
    }
    if (score <= this.scores[0]!) return;
    this.siftDown(id, score);
  }

  /** Ids in no particular order (the heap's), for a caller that ranks them again anyway. */
  unordered(): Float64Array {
    return this.ids.subarray(0, this.size);
  }

  /** Ids, best first. */
  sorted(): number[] {
    return this.order().map((i) => this.ids[i] ?? 0);
  }

  /** [id, score] pairs, best first. */
  sortedEntries(): [number, number][] {
    return this.order().map((i) => [this.ids[i] ?? 0, this.scores[i] ?? 0]);
  }

  private order(): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => (this.scores[b] ?? 0) - (this.scores[a] ?? 0));
    return order;
  }

  /**
   * The root replaced by (`id`, `score`), sifted down with a hole: a pool's selection makes
   * ~1,900 of these for 8,000 codes, and swapping both arrays at every level was most of the
   * scan's time in JavaScript. The same comparisons (the smaller child, the left one on a tie,
   * moves up while it is below the newcomer), so the same layout as swapping: the pool's order,
   * which the rerank's ties follow, does not change.
   */
  private siftDown(id: number, score: number): void {
    const scores = this.scores;
    const ids = this.ids;
    const size = this.size;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      let smallestScore = score;
      if (left < size && scores[left]! < smallestScore) {
        smallest = left;
        smallestScore = scores[left]!;
      }
      if (right < size && scores[right]! < smallestScore) {
        smallest = right;
        smallestScore = scores[right]!;
      }
      if (smallest === i) break;
      scores[i] = smallestScore;
      ids[i] = ids[smallest]!;
      i = smallest;
    }
    scores[i] = score;
    ids[i] = id;
  }
}
