/** Hybrid (vector + full-text) retrieval over notes and conversations. */

export { buildFtsQuery } from '../store/libsql/search-index/fts-query.js';
export {
  CHUNK_OVERLAP,
  CHUNK_SIZE,
  type ChunkOptions,
  type ConversationTextOptions,
  chunkText,
  contentHash,
  conversationTexts,
  type TextChunk,
} from './chunking.js';
export { deferredRetriever, type RetrieverCalls } from './deferred-retriever.js';
export { fuseScores, minMaxNormalise, Retriever, type SourceType } from './retriever.js';
export type {
  ConversationInput,
  IndexResult,
  NoteInput,
  ReindexOptions,
  ReindexProgress,
  RetrievalQuery,
  RetrievalStats,
  RetrieverOptions,
} from './types.js';
