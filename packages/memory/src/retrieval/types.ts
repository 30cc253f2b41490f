/** The retriever's options, inputs and results. */
import type { Message, Provenance, SearchQuery, Usage } from '@oxydra/types';
import type { ChunkOptions, ConversationTextOptions } from './chunking.js';

export interface RetrieverOptions extends ChunkOptions {
  /**
   * What each request to a remote embedding API cost, with the user the embedded text belongs
   * to (undefined: a reindex, for nobody in particular), so spending caps count it.
   */
  onEmbedUsage?: (usage: Usage, userId: string | undefined) => void;
  /** Results per search; default 8. */
  topK?: number;
  /** Weight of the vector score; default 0.7. */
  vectorWeight?: number;
  /** Weight of the full-text score; default 0.3. */
  ftsWeight?: number;
  /**
   * Vector candidates below this cosine similarity are dropped (full-text matches are kept):
   * results below the relevance floor are left out, not padded to topK. Default: by embedder
   * (relevanceFloor, retriever.ts); 0 keeps every candidate.
   */
  minSimilarity?: number;
  /** Chunks embedded per embedder call during reindex; default 128. */
  reindexBatchSize?: number;
}

export interface NoteInput {
  id: string;
  content: string;
  tags?: string[];
  userId?: string;
  /** The note's (StoredNote.taint), kept with each of its chunks. */
  taint?: readonly Provenance[];
}

export interface ConversationInput extends ConversationTextOptions {
  sessionId: string;
  userId?: string;
  messages: readonly Message[];
  /**
   * The run's sources when `messages` were written (its context's provenance, AgentLoop), kept
   * with their chunks besides what the messages' own provenance says (conversationTexts, chunking.ts).
   */
  taint?: readonly Provenance[];
  /**
   * For a session created for the run that writes it: the hashes of every text its chunks hold,
   * kept by that run, which passes the same set (empty at the session's creation) to each of its
   * indexings; the index adds each text it stores. While none of a turn's texts is in it, none is
   * stored either and the read asking which are is skipped (ConversationIndex).
   */
  indexed?: Set<string>;
}

export interface RetrievalQuery extends SearchQuery {
  /** Search conversation chunks (default true). */
  includeConversation?: boolean;
  /** Search note chunks (default true). */
  includeNotes?: boolean;
  /**
   * The session a recall searches for, whose hits its caller drops (the session is in the context
   * already): the search does not wait for that session's conversation indexing still queued
   * (the turn's own prompt, indexed in the background), only for the writes queued before it.
   * Whether those chunks are found is then a race, which the caller's dropping makes moot.
   */
  ownSession?: string;
}

export interface IndexResult {
  /** Chunks the source has now (a note) or gained (a conversation). */
  chunks: number;
  /** Of those, how many the embedder was called for (the rest reused stored vectors). */
  embedded: number;
}

export interface ReindexProgress {
  done: number;
  total: number;
}

export interface ReindexOptions {
  onProgress?: (progress: ReindexProgress) => void;
  signal?: AbortSignal;
}

export interface RetrievalStats {
  chunks: number;
  notes: number;
  conversations: number;
  /** The current embedder's. */
  modelId: string;
  dimensions: number;
  /** Stored vectors by model id. */
  vectorsByModel: Record<string, number>;
  /** Chunks without a vector from the current embedder: what reindex() would embed. */
  stale: number;
}
