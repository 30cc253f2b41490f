/**
 * The vector half of the search: every current-model vector's sign code in memory, scanned in
 * full for each new query (about 1 ms per 100k chunks at 256 dimensions, code-scan.ts; a query met lately
 * scans only the codes added since: query-memo.ts), with the chunk's scope alongside so filters
 * apply during the scan, not after it.
 *
 * Loaded on the first search, then kept current incrementally, also across processes sharing
 * the file: vector rows are never updated and their ids never reused (AUTOINCREMENT), so new
 * rows are those above the last id seen, and a trigger logs each deleted vector id in
 * chunk_vector_tombstones. Both are read in one read transaction at the start of each search
 * (shared by the searches asking while it is still queued); when nothing changed that costs two
 * index lookups. If the tombstone log was pruned past what this cache has seen, it reloads.
 */
import type { Client, Row } from '@libsql/client';
import { isZeroVector } from '../../../store-input.js';
import { CodeStore, TopK } from './code-scan.js';
import { codeBytes, num } from './codes.js';
import {
  BestExact,
  Int16Vectors,
  QUANTIZED_BUDGET_BYTES,
  type QueryMemo,
  QueryMemos,
  rerankQuery,
} from './query-memo.js';
import { hasAllTags, Interner, NONE, type ScopeFilter } from './scope.js';

const NOTE = 0;
const CONVERSATION = 1;

function toBytes(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Uint8Array) return value;
  return new Uint8Array(0);
}

export class VectorCache {
  private readonly bytes: number;
  private count = 0;
  private capacity = 0;
  private vectorIds = new Float64Array(0);
  private chunkIds = new Float64Array(0);
  /** The vectors for the rerank in memory; undefined once the index outgrew their budget (rerank in SQL). */
  private rerankCopies: Int16Vectors | undefined;
  private readonly codes: CodeStore;
  /** The last few queries' scores and selections: the same query again scans only new rows. */
  private readonly memos: QueryMemos;
  /** Codes scored so far, all searches together (what the memos save shows here). */
  private scoredCodes = 0;
  private sources = new Uint8Array(0);
  private users = new Int32Array(0);
  private sessions = new Int32Array(0);
  private tagSets = new Int32Array(0);
  private readonly slotOf = new Map<number, number>();
  private readonly userIds = new Interner();
  private readonly sessionIds = new Interner();
  private readonly tagKeys = new Interner();
  private readonly tagLists: string[][] = [[]];
  private lastVectorId = -1;
  private lastTombstone = 0;
  private removed = 0;
  /** Refreshes run one after another, each after every write that finished before it began. */
  private refreshes: Promise<void> = Promise.resolve();
  /** The refresh queued behind the running one and not begun yet: later callers share it. */
  private queued: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    readonly modelId: string,
    readonly dimensions: number,
    /** Most bytes the rerank copies may take (Int16Vectors, query-memo.ts). */
    rerankBudget = QUANTIZED_BUDGET_BYTES,
    /** How many queries' scans are kept (query-memo.ts); 0: every search scans every code. */
    memos?: number,
    /** From how many slots of room the scan and the rerank run in WebAssembly (wasm-kernels.ts); Infinity: never. */
    wasmFrom?: number,
  ) {
    this.memos = new QueryMemos(memos);
    this.bytes = codeBytes(dimensions);
    this.codes = new CodeStore(this.bytes, wasmFrom);
    this.rerankCopies = new Int16Vectors(dimensions, rerankBudget, wasmFrom);
  }

  get size(): number {
    return this.count;
  }

  /**
   * The vector tombstone log's last seq as of now, for the full-text side's common words
   * (CommonWords, fts-search.ts), from the refresh queued and not begun yet (it reads after every write
   * finished before this call); undefined when there is none (the caller reads the mark itself:
   * one statement, where starting a refresh of its own would read three) or before the first
   * load, which this does not start.
   */
  tombstoneMark(): Promise<number> | undefined {
    if (this.lastVectorId < 0 || this.queued === undefined) return undefined;
    return this.queued.then(() => this.lastTombstone);
  }

  /** How many codes this cache's searches scored so far. */
  get scored(): number {
    return this.scoredCodes;
  }

  /** How many vectors this cache removed (deleted rows, reloads): moves when any chunk it held went. */
  get removals(): number {
    return this.removed;
  }

  /** Bring the cache up to date with the database (a full load the first time). */
  refresh(): Promise<void> {
    // Not shared with a refresh already running: that one may have read before a write this
    // caller already saw complete. One not begun yet reads after every such write, so it is
    // shared: the many recalls a kernel starts together (one per agent) read the file once
    // instead of once each (a read transaction of three statements).
    if (this.queued !== undefined) return this.queued;
    const next = this.refreshes.then(() => {
      this.queued = undefined;
      return this.catchUp();
    });
    this.queued = next;
    this.refreshes = next.catch(() => {});
    return next;
  }

  private async catchUp(): Promise<void> {
    const [marks, rows, tombstones] = await this.client.batch(
      [
        // Both sequences and the oldest logged deletion in one statement (one row, always).
        `SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'chunk_vectors') AS vectors,
                (SELECT seq FROM sqlite_sequence WHERE name = 'chunk_vector_tombstones') AS tombstones,
                (SELECT min(seq) FROM chunk_vector_tombstones) AS oldest`,
        {
          // A first load leaves the float vectors out (100 MB at 100k chunks of 256 dimensions):
          // rerank reads them when they first meet a pool. Rows added later come with theirs,
          // until the copies are given up (past their budget): then none is kept, so none is read
          // (1 KB a row at 256 dimensions, read, decoded and dropped at every refresh).
          sql: `SELECT v.id, v.chunk_id, v.code, CASE WHEN ? THEN v.vector END AS vector,
                       c.source_type, c.user_id, c.session_id, c.tags
                FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id
                WHERE v.id > ? AND v.model_id = ? AND v.dims = ? ORDER BY v.id`,
          args: [
            this.lastVectorId < 0 || this.rerankCopies === undefined ? 0 : 1,
            this.lastVectorId,
            this.modelId,
            this.dimensions,
          ],
        },
        {
          sql: 'SELECT vector_id FROM chunk_vector_tombstones WHERE seq > ? ORDER BY seq',
          // A first load already leaves out every deleted row: no log to read.
          args: [this.lastVectorId < 0 ? Number.MAX_SAFE_INTEGER : this.lastTombstone],
        },
      ],
      'read',
    );
    const fresh = this.lastVectorId < 0;
    const mark = marks?.rows[0];
    const oldestTombstone = num(mark?.oldest ?? 0);
    if (!fresh && oldestTombstone > this.lastTombstone + 1) {
      // Deletions this cache never saw were pruned from the log: start over.
      this.clear();
      await this.catchUp();
      return;
    }
    for (const row of rows?.rows ?? []) this.add(row);
    for (const row of tombstones?.rows ?? []) this.remove(num(row.vector_id));
    this.lastVectorId = num(mark?.vectors ?? 0);
    this.lastTombstone = num(mark?.tombstones ?? 0);
  }

  /**
   * Vector row ids of the `limit` codes that score highest against `query` among the chunks
   * `filter` allows, best first. Scores are approximate: the caller reranks exactly.
   */
  search(query: Float32Array, limit: number, filter: ScopeFilter): number[] {
    const slots = this.scan(this.memoOf(query), limit, filter);
    return slots === undefined ? [] : this.vectorIdsOf(slots);
  }

  /**
   * search and rerank in one synchronous step, on slots: the pool is neither sorted nor mapped
   * to vector ids and back (a sort of 512 and two Map lookups per pooled row were a fifth of
   * the vector side of a recall). When a pooled row's copy is not in memory (not read yet, or
   * the index outgrew the copies' budget) it returns the pool instead, as search would, for
   * the caller's rerank: the scan, the costly part, is never run twice. Past the budget, a pool
   * whose every SQL similarity the query's memo kept is reranked here too (exact-rerank.ts's result).
   */
  nearest(
    query: Float32Array,
    pool: number,
    limit: number,
    filter: ScopeFilter,
  ): Map<number, number> | number[] {
    const memo = this.memoOf(query);
    const slots = this.scan(memo, pool, filter);
    if (slots === undefined) return new Map();
    const copies = this.rerankCopies;
    const pooled = slots.unordered();
    // Past the copies' budget: the SQL similarities the memo kept, when it has the whole pool's.
    if (copies === undefined) return this.rememberedExact(memo, pooled, limit) ?? this.vectorIdsOf(slots);
    if (pooled.some((slot) => !copies.has(slot))) return this.vectorIdsOf(slots);
    // A slot's copy does not change while it stays in its slot: the memo computes each once.
    const similarityOf = (slot: number, prepared: Parameters<Int16Vectors['similarity']>[1]) =>
      copies.similarity(slot, prepared);
    const top = new TopK(limit);
    for (let i = 0; i < pooled.length; i++) {
      const slot = pooled[i]!;
      const similarity = memo.similarity(slot, similarityOf);
      if (Number.isFinite(similarity)) top.push(this.chunkIds[slot]!, similarity);
    }
    return new Map(top.sortedEntries());
  }

  /**
   * exact-rerank.ts's result for a pool of `slots` whose every SQL similarity `memo` kept; undefined
   * when one is missing (the caller reads it).
   */
  private rememberedExact(
    memo: QueryMemo,
    slots: Float64Array,
    limit: number,
  ): Map<number, number> | undefined {
    const best = new BestExact(limit);
    for (let i = 0; i < slots.length; i++) {
      const vectorId = this.vectorIds[slots[i]!]!;
      const similarity = memo.exact.get(vectorId);
      if (similarity === undefined) return undefined;
      best.push(vectorId, similarity);
    }
    return best.result();
  }

  /** The vector row ids of a scan's slots, best first. */
  private vectorIdsOf(slots: TopK): number[] {
    const ids = this.vectorIds;
    return slots.sorted().map((slot) => ids[slot]!);
  }

  /** The memo of `query`'s scans (query-memo.ts), valid for the slots as they are now. */
  private memoOf(query: Float32Array): QueryMemo {
    if (query.length !== this.dimensions) {
      throw new RangeError(`query has ${query.length} dimensions, the index ${this.dimensions}`);
    }
    return this.memos.for(query, this.removed);
  }

  /**
   * The `limit` slots whose codes score highest among those `filter` allows; undefined: none
   * can match. Only the rows the memo's query has not met yet are scored and selected: the
   * returned TopK is the memo's (read it, never push into it).
   */
  private scan(memo: QueryMemo, limit: number, filter: ScopeFilter): TopK | undefined {
    const eligible = this.eligibility(filter);
    if (eligible === undefined) return undefined;
    const scores = memo.fit(this.capacity);
    if (memo.scored < this.count) {
      this.codes.scoreInto(memo.tables(), this.count, scores, memo.scored);
      this.scoredCodes += this.count - memo.scored;
      memo.scored = this.count;
    }
    const selection = memo.selection(filter, limit);
    const top = selection.top;
    let threshold = top.threshold;
    for (let i = selection.selected; i < this.count; i++) {
      const score = scores[i]!;
      // The cheap test first: most rows lose to the current top without a filter check.
      if (score <= threshold || (eligible !== true && !eligible(i))) continue;
      top.push(i, score);
      threshold = top.threshold;
    }
    selection.selected = this.count;
    return top;
  }

  /**
   * chunk id → cosine similarity of `query` with each of `vectorIds` (from search), the best
   * `limit`, computed on the int16 copies; undefined when the cache holds none (too large an
   * index): the caller reranks in SQL. Copies not read yet (first load) are read now, once.
   * Rows deleted since the search are left out.
   */
  async rerank(
    query: Float32Array,
    vectorIds: readonly number[],
    limit: number,
  ): Promise<Map<number, number> | undefined> {
    const copies = this.rerankCopies;
    if (copies === undefined) return undefined;
    const missing = vectorIds.filter((id) => {
      const slot = this.slotOf.get(id);
      return slot !== undefined && !copies.has(slot);
    });
    if (missing.length > 0) {
      const read = await this.client.execute({
        sql: 'SELECT id, vector FROM chunk_vectors WHERE id IN (SELECT value FROM json_each(?))',
        args: [JSON.stringify(missing)],
      });
      // Slots may have moved while reading: looked up again.
      for (const row of read.rows) {
        const slot = this.slotOf.get(num(row.id));
        if (slot !== undefined) copies.set(slot, toBytes(row.vector));
      }
    }
    const prepared = rerankQuery(query);
    const top = new TopK(limit);
    for (const vectorId of vectorIds) {
      const slot = this.slotOf.get(vectorId);
      if (slot === undefined || !copies.has(slot)) continue;
      const similarity = copies.similarity(slot, prepared);
      if (Number.isFinite(similarity)) top.push(this.chunkIds[slot]!, similarity);
    }
    return new Map(top.sortedEntries());
  }

  /** The memo of `query`'s earlier scans, if one is kept (the exact rerank reads and adds to it). */
  memoFound(query: Float32Array): QueryMemo | undefined {
    return this.memos.find(query);
  }

  /** true: every row; undefined: none can match; else a per-row test. */
  private eligibility(filter: ScopeFilter): true | undefined | ((slot: number) => boolean) {
    const sources = [filter.includeNotes, filter.includeConversation];
    if (!sources[NOTE] && !sources[CONVERSATION]) return undefined;
    const user = filter.userId === undefined ? -1 : this.userIds.find(filter.userId);
    const session = filter.sessionId === undefined ? -1 : (this.sessionIds.find(filter.sessionId) ?? -2);
    if (user === undefined) return undefined;
    const tagsOk =
      filter.tags.length === 0 ? undefined : this.tagLists.map((tags) => hasAllTags(tags, filter.tags));
    if (sources[NOTE] && sources[CONVERSATION] && user === -1 && session === -1 && tagsOk === undefined) {
      return true;
    }
    return (slot) => {
      const source = this.sources[slot] ?? NOTE;
      if (!sources[source]) return false;
      if (user !== -1 && this.users[slot] !== user) return false;
      if (session !== -1 && source === CONVERSATION && this.sessions[slot] !== session) return false;
      return tagsOk === undefined || tagsOk[this.tagSets[slot] ?? 0] === true;
    };
  }

  private add(row: Row): void {
    const vectorId = num(row.id);
    if (this.slotOf.has(vectorId)) return;
    const code = toBytes(row.code);
    if (code.length !== this.bytes) return;
    if (this.count === this.capacity) this.grow();
    const slot = this.count++;
    // Past their budget the int16 copies are dropped for the life of this cache: SQL reranks.
    if (this.rerankCopies !== undefined && slot >= this.rerankCopies.room) this.rerankCopies = undefined;
    this.slotOf.set(vectorId, slot);
    this.vectorIds[slot] = vectorId;
    this.chunkIds[slot] = num(row.chunk_id);
    this.codes.set(slot, code);
    if (row.vector === null) this.rerankCopies?.unset(slot);
    else this.rerankCopies?.set(slot, toBytes(row.vector));
    this.sources[slot] = row.source_type === 'conversation' ? CONVERSATION : NOTE;
    this.users[slot] = this.userIds.id(typeof row.user_id === 'string' ? row.user_id : null);
    this.sessions[slot] = this.sessionIds.id(typeof row.session_id === 'string' ? row.session_id : null);
    this.tagSets[slot] = this.tagSet(typeof row.tags === 'string' ? row.tags : '[]');
  }

  /** The last row moves into the hole, so the arrays stay dense. */
  private remove(vectorId: number): void {
    const slot = this.slotOf.get(vectorId);
    if (slot === undefined) return;
    this.removed++;
    this.slotOf.delete(vectorId);
    const last = --this.count;
    if (slot !== last) {
      const moved = this.vectorIds[last] ?? 0;
      this.vectorIds[slot] = moved;
      this.chunkIds[slot] = this.chunkIds[last] ?? 0;
      this.rerankCopies?.move(last, slot);
      this.codes.move(last, slot);
      this.sources[slot] = this.sources[last] ?? NOTE;
      this.users[slot] = this.users[last] ?? NONE;
      this.sessions[slot] = this.sessions[last] ?? NONE;
      this.tagSets[slot] = this.tagSets[last] ?? 0;
      this.slotOf.set(moved, slot);
    }
  }

  private tagSet(json: string): number {
    const id = this.tagKeys.id(json === '[]' ? null : json);
    if (id === this.tagLists.length) {
      let tags: string[] = [];
      try {
        const parsed: unknown = JSON.parse(json);
        if (Array.isArray(parsed)) tags = parsed.filter((tag): tag is string => typeof tag === 'string');
      } catch {
        // A hand-edited, broken tags column: the chunk simply has no tags.
      }
      this.tagLists.push(tags);
    }
    return id;
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const grown = <T extends Float64Array | Uint8Array | Int32Array>(old: T, make: (n: number) => T) => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.vectorIds = grown(this.vectorIds, (n) => new Float64Array(n));
    this.chunkIds = grown(this.chunkIds, (n) => new Float64Array(n));
    this.rerankCopies?.grow(capacity);
    this.codes.grow(capacity);
    this.sources = grown(this.sources, (n) => new Uint8Array(n));
    this.users = grown(this.users, (n) => new Int32Array(n));
    this.sessions = grown(this.sessions, (n) => new Int32Array(n));
    this.tagSets = grown(this.tagSets, (n) => new Int32Array(n));
    this.capacity = capacity;
  }

  private clear(): void {
    this.removed++;
    this.count = 0;
    this.slotOf.clear();
    this.lastVectorId = -1;
    this.lastTombstone = 0;
  }
}

/**
 * The vector half of the search: the in-memory code scan proposes a pool several times larger
 * than needed, and the pool is reranked by cosine on the cache's int16 copies of the vectors
 * (Int16Vectors, query-memo.ts), or in SQL on the stored float32 vectors once the index outgrew them.
 * Measured at 256 dimensions on the bench corpus (10k chunks), the share of the exact top 32
 * that a pool of 8× / 16× / 32× the candidates holds: 0.85 / 0.94 / 0.99 (of the exact top 8:
 * 0.94 / 0.98 / 0.99). 16× costs ~1 ms more than 8× at 100k chunks.
 */

const POOL_FACTOR = 16;
const MIN_POOL = 128;

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
  // Usually the whole pool's copies (or, past their budget, its remembered SQL similarities) are
  // in memory: scan and rerank at once, on slots; else the pool, reranked below.
  const pool = cache.nearest(query, poolSize, limit, filter);
  if (pool instanceof Map) return pool;
  if (pool.length === 0) return new Map();
  const inMemory = await cache.rerank(query, pool, limit);
  if (inMemory !== undefined) return inMemory;
  // The index outgrew the int16 copies: libSQL's cosine, for the rows the query's memo lacks
  // (loaded only then: an index under the copies' budget never reranks in SQL).
  const { rerankExact, readExact } = await import('./exact-rerank.js');
  return rerankExact(cache.memoFound(query), query, pool, limit, (vectorIds) =>
    readExact(client, query, vectorIds),
  );
}
