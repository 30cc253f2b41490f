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
export { newNoteId, newSessionId } from './ids.js';
export * from './memory.js';
export * from './note-input.js';
export * from './payload.js';
export * from './retrieval/index.js';
export { QUEUE_WAIT_LIMIT_MS, serialClient } from './serial-client.js';
export type { MemoryCounts } from './store/libsql/counts.js';
export * from './store/libsql/db.js';
export * from './store/libsql/kernel-state.js';
export * from './store/libsql/migrate.js';
export type { Migration } from './store/libsql/migrations/index.js';
export * from './store/libsql/notes.js';
export { LibsqlSearchIndex } from './store/libsql/search-index/store.js';
export type { StateValue } from './store/libsql/session-state.js';
export * from './store/libsql/sessions.js';
export { memoryTransfer, sqliteTransfer } from './store/libsql/transfer.js';
export { DERIVED_TITLE_CHARS, MAX_TITLE_CHARS } from './title.js';

/*
 * Session export (JSONL and Markdown) is loaded on first use: `oxydra sessions export` and the
 * gateway's export route need it, an agent run never does.
 */
const sessionExport = () => import('./export.js');
export const exportSessionJsonl: typeof ExportModule.exportSessionJsonl = async (...args) =>
  (await sessionExport()).exportSessionJsonl(...args);
export const exportSessionMarkdown: typeof ExportModule.exportSessionMarkdown = async (...args) =>
  (await sessionExport()).exportSessionMarkdown(...args);
