/**
 * The retrieval index (chunks of notes and conversations, their vectors, full-text search) as a
 * store contract. The libSQL file is the embedded default (@oxydra/memory: FTS5 plus an in-memory
 * sign-code scan over stored float32 vectors); PostgreSQL (issue 33: pgvector HNSW and tsvector)
 * implements the same interface and passes @oxydra/testkit/store-contracts' suite.
 *
 * The store answers candidates; the retriever decides: chunking, embedding, fusion of the two
 * candidate lists, the relevance floor and deduplication stay out of it. A store is opened for
 * one embedding model (`model`): vectors are written and searched for that model, and a chunk
 * whose vector is from another model (or missing) is listed by `missingVectors` until replaced.
 *
 * Scope: a search given a `userId` sees only chunks saved for that user — never another user's,
 * nor chunks saved without a user. Without a `userId` it sees every chunk (single-user use).
 */

import type { Provenance } from '../tools.js';

export type SearchSourceType = 'note' | 'conversation';

/** What chunks belong to: a note (by note id) or a conversation (by session id). */
export interface SearchSource {
  type: SearchSourceType;
  id: string;
}

/** The embedding model a store is opened for. */
export interface SearchModel {
  id: string;
  dimensions: number;
}

export interface NewChunk {
  text: string;
  /** The text's content hash: what "the same text" means for reuse and deduplication. */
  hash: string;
  /** Of `model.dimensions` numbers. */
  vector: Float32Array;
  /**
   * The sources other than the operator's words that the context held when the text was
   * written (chunkTaint: one per kind), kept with the chunk and answered with it; absent or
   * empty: none (a chunk written before taint was recorded says what its migration decided).
   */
  taint?: readonly Provenance[];
}

export interface ReplacedSource {
  userId?: string;
  /** Normalised tags (trimmed, unique, sorted); conversation chunks have none. */
  tags?: readonly string[];
}

/** One source's replacement in a batch (SearchIndexStore.replaceSources). */
export interface SourceReplacement {
  source: SearchSource;
  chunks: readonly NewChunk[];
  fields?: ReplacedSource;
}

export interface AppendedChunks {
  userId?: string;
  /** The session a conversation's chunks go with: deleting the session deletes them. */
  sessionId?: string;
}

/** Which chunks a search may see; every condition given must hold. */
export interface SearchScope {
  /** Default true. */
  includeNotes?: boolean;
  /** Default true. */
  includeConversation?: boolean;
  /** Only chunks saved for this user (see the module comment). */
  userId?: string;
  /** Conversation chunks of this session only; notes stay visible (they belong to a user). */
  sessionId?: string;
  /** Chunks carrying every one of these normalised tags. */
  tags?: readonly string[];
}

/** A candidate: the chunk's id and its score from one side of the search, best first. */
export interface SearchCandidate {
  chunkId: number;
  /** searchVector: cosine similarity; searchText: higher is better (e.g. -bm25), comparable within one call only. */
  score: number;
}

export interface IndexedChunk {
  id: number;
  source: SearchSource;
  sessionId?: string;
  userId?: string;
  text: string;
  hash: string;
  tags: string[];
  /** As written (NewChunk.taint); absent: none. */
  taint?: Provenance[];
}

/** A hybrid search's two sides (SearchIndexStore.searchHybrid); a side left out proposes nothing. */
export interface HybridQuery {
  /** The query's embedding, of `model`: vector candidates as searchVector finds them. */
  vector?: Float32Array;
  /** The user's words: full-text candidates as searchText finds them. */
  text?: string;
  scope: SearchScope;
  /** Candidates per side. */
  limit: number;
}

/** Both candidate lists of a hybrid search, each best first, and the chunks they name. */
export interface HybridCandidates {
  vector: SearchCandidate[];
  text: SearchCandidate[];
  /** The chunks of both lists' candidates that still exist (in no particular order). */
  chunks: IndexedChunk[];
}

export interface ChunkToEmbed {
  id: number;
  text: string;
}

export interface SearchIndexCounts {
  chunks: number;
  /** Distinct notes with chunks. */
  notes: number;
  /** Distinct conversations with chunks. */
  conversations: number;
  /** Stored vectors by model id, any dimensions. */
  vectorsByModel: Record<string, number>;
  /** Chunks without a vector of `model`: what missingVectors lists. */
  missingVectors: number;
}

export interface SearchIndexStore {
  readonly model: SearchModel;
  /**
   * Replaces every chunk of `source` with `chunks` (in order, each with its vector), atomically:
   * a concurrent search sees the old chunks or the new ones, never a mix or none. Empty: removes.
   */
  replaceSource(source: SearchSource, chunks: readonly NewChunk[], fields?: ReplacedSource): Promise<void>;
  /**
   * Optional, for bulk indexing (a copy's reindex, an import): several sources replaced in one
   * write, each as replaceSource would (a source given twice keeps its last replacement). The
   * retriever calls replaceSource per source when a store has no such method.
   */
  replaceSources?(replacements: readonly SourceReplacement[]): Promise<void>;
  /**
   * Runs `work`, this store's writes of a bulk load (a copy's reindex, a new model's vectors, an
   * import), as one: the store may leave its vector index unmaintained until `work` is done and
   * then build it whole, which costs far less per vector than keeping it up row by row
   * (PostgreSQL's HNSW). Resolves once that is done; when `work` fails, the index is made
   * whole all the same and `work`'s error rejects. Meanwhile every search stays correct (it may
   * be slower: an exact scan instead of the index), other writers, in this process or another,
   * go on, and a process that dies mid-load leaves a store that the next open makes whole. A
   * call made while this store is in a bulk load joins it. Ordinary writes (a note saved, a turn
   * appended) are not bulk loads. A store with nothing to gain (the libSQL file) just runs `work`.
   */
  bulkLoad<T>(work: () => Promise<T>): Promise<T>;
  /** Adds chunks after the source's last, atomically (a conversation growing turn by turn). */
  appendChunks(source: SearchSource, chunks: readonly NewChunk[], fields?: AppendedChunks): Promise<void>;
  /** Removes the source's chunks and their vectors; resolves to how many chunks were removed. */
  deleteSource(source: SearchSource): Promise<number>;
  /** Which of `hashes` the source already holds. */
  presentHashes(source: SearchSource, hashes: readonly string[]): Promise<Set<string>>;
  /** The source's chunks' vectors of `model`, by content hash (to reuse instead of embedding again). */
  sourceVectors(source: SearchSource): Promise<Map<string, Float32Array>>;
  /** Optional: sourceVectors of several sources in one read, in the order given. */
  sourcesVectors?(sources: readonly SearchSource[]): Promise<Map<string, Float32Array>[]>;
  /** Sets chunks' `model` vectors, replacing any other; ids that no longer exist are skipped. */
  putVectors(vectors: readonly { chunkId: number; vector: Float32Array }[]): Promise<void>;
  /** Up to `limit` chunks without a `model` vector, by ascending id, after `afterId` (default: from the start). */
  missingVectors(limit: number, afterId?: number): Promise<ChunkToEmbed[]>;
  /**
   * The best `limit` chunks by full-text relevance to `query` (the user's words, any characters:
   * the store makes them safe for its query language) that `scope` allows. May leave out words too
   * common to tell chunks apart; may answer none when every word is.
   */
  searchText(query: string, scope: SearchScope, limit: number): Promise<SearchCandidate[]>;
  /** The best `limit` chunks by cosine similarity to `vector` (of `model`) that `scope` allows; may be approximate. */
  searchVector(vector: Float32Array, scope: SearchScope, limit: number): Promise<SearchCandidate[]>;
  /**
   * searchVector and searchText of one query and the chunks of their candidates, in one call: what
   * a hybrid search reads, which a server store answers in one statement (one round trip, one
   * snapshot: every candidate's chunk is there) instead of three reads one after the other. The
   * lists are those the two methods would answer; fusing them stays the retriever's.
   */
  searchHybrid(query: HybridQuery): Promise<HybridCandidates>;
  /** The chunks of these ids that still exist (in no particular order). */
  chunks(ids: readonly number[]): Promise<IndexedChunk[]>;
  counts(): Promise<SearchIndexCounts>;
}
