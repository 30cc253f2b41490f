/** Hybrid (vector + full-text) retrieval over notes and conversations. */
export {
  CHUNK_OVERLAP,
  CHUNK_SIZE,
  type ChunkOptions,
  chunkText,
  contentHash,
  type TextChunk,
} from './chunking.js';
export { type ConversationTextOptions, conversationTexts } from './conversation.js';
export { buildFtsQuery } from './fts-query.js';
export { fuseScores, minMaxNormalise } from './fusion.js';
export { Retriever } from './retriever.js';
export type { SourceType } from './scope.js';
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
