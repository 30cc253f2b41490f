/**
 * `@oxydra/memory/store-input`: the input rules of the memory stores' contracts (sessions,
 * notes, kernel state), for another backend's package (@oxydra/store-postgres) to apply the same
 * rules without loading the libSQL stores. One home: the libSQL stores import the same modules.
 */
export { CorruptEventError, MemoryValidationError } from './errors.js';
export { newNoteId, newSessionId, nowIso } from './ids.js';
export {
  checkExpectedVersion,
  checkStateName,
  DEFAULT_STATE_LIST_LIMIT,
  encodeStateValue,
  MAX_STATE_LIST_LIMIT,
  prefixEnd,
} from './kernel-state-input.js';
export { NoteChangeNotifier } from './note-hook.js';
export {
  checkNoteContent,
  DEFAULT_NOTE_LIST_LIMIT,
  MAX_NOTE_LIST_LIMIT,
  normalizeTags,
} from './note-input.js';
export { decodePayload, encodeTurn } from './payload.js';
export { normaliseTags } from './retrieval/tags.js';
export { checkSearchModel, checkVectorDimensions, isZeroVector } from './search-index-input.js';
export {
  checkNewSession,
  checkSearch,
  checkStateWrite,
  checkTurnEnd,
  containsPattern,
  DEFAULT_LIST_LIMIT,
  getOrCreateSession,
  MAX_LIST_LIMIT,
} from './session-input.js';
export {
  COMMON_WORD_CHUNKS,
  COUNTED_WORDS,
  MATCH_BUDGET_CHUNKS,
  type QueryTerms,
  queryTerms,
} from './store/libsql/search-index/fts-query.js';
export { checkTitle, deriveTitle } from './title.js';
export { checkCount, checkOptionalId } from './validate.js';
