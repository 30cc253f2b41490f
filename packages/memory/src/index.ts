export type {
  AppendedTurn,
  NewSession,
  NoteListOptions,
  NoteStore,
  SessionFilter,
  SessionStamp,
  SessionStore,
  StoredEvent,
} from '@oxydra/types';

import type * as ExportModule from './export.js';

export * from './agent-tools/index.js';
export * from './deferred-memory.js';
export * from './embedders/index.js';
export * from './errors.js';
export * from './memory.js';
export * from './retrieval/index.js';
export { QUEUE_WAIT_LIMIT_MS, serialClient } from './serial-client.js';
export type { MemoryCounts } from './store/libsql/counts.js';
export { BUSY_TIMEOUT_MS, type DatabaseLocation, openDatabase, PAGE_CACHE_KIB } from './store/libsql/db.js';
export * from './store/libsql/kernel-state.js';
export * from './store/libsql/migrate.js';
export type { Migration } from './store/libsql/migrations/index.js';
export * from './store/libsql/notes.js';
export { LibsqlSearchIndex } from './store/libsql/search-index/store.js';
export * from './store/libsql/sessions.js';
export { memoryTransfer, sqliteTransfer } from './store/libsql/transfer.js';
export {
  attachmentPlaceholder,
  checkNoteContent,
  DEFAULT_NOTE_LIST_LIMIT,
  DERIVED_TITLE_CHARS,
  decodePayload,
  encodePayload,
  encodeTurn,
  formatBytes,
  isOmittedAttachment,
  isRole,
  MAX_NOTE_BYTES,
  MAX_NOTE_LIST_LIMIT,
  MAX_NOTE_TAG_CHARS,
  MAX_NOTE_TAGS,
  MAX_TITLE_CHARS,
  newNoteId,
  newSessionId,
  normalizeTags,
  type OmittedAttachmentPart,
  toStoredMessage,
} from './store-input.js';

/*
 * Session export (JSONL and Markdown) is loaded on first use: `oxydra sessions export` and the
 * gateway's export route need it, an agent run never does.
 */
const sessionExport = () => import('./export.js');
export const exportSessionJsonl: typeof ExportModule.exportSessionJsonl = async (...args) =>
  (await sessionExport()).exportSessionJsonl(...args);
export const exportSessionMarkdown: typeof ExportModule.exportSessionMarkdown = async (...args) =>
  (await sessionExport()).exportSessionMarkdown(...args);
