/**
 * What the vector scan of one query left behind, so that the same query again scans only the
 * codes added since (vector-cache.ts). The same query comes back often: recall searches the
 * latest user message before every model call, so a turn with tool calls searches it once per
 * call, and a gateway, a scheduled run or a bench sends the same prompt many times. Without
 * this every search scored every stored code (about 23 ns each in JavaScript: 0.46 ms at 20,000
 * chunks; ~10 ns in WebAssembly, code-store.ts), so a stored turn cost more the more turns were
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
import { scoreTables } from './codes.js';
import { type RerankQuery, rerankQuery } from './int16-vectors.js';
import type { ScopeFilter } from './scope.js';
import { TopK } from './top-k.js';

/** How many distinct queries are kept by default. */
const MEMOS = 4;
/** How many (filter, pool size) selections one query keeps; more start that query's list over. */
const SELECTIONS = 8;
/** How many rerank similarities one query keeps (a pool is 512): more start the list over. */
const SIMILARITIES = 4096;

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
