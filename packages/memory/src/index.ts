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
export * from './agent-tools/index.js';
export * from './db.js';
export * from './embedders/index.js';
export * from './errors.js';
export * from './export.js';
export { newNoteId, newSessionId } from './ids.js';
export * from './memory.js';
export * from './migrate.js';
export * from './migrations/index.js';
export * from './note-input.js';
export * from './payload.js';
export * from './retrieval/index.js';
export { QUEUE_WAIT_LIMIT_MS, serialClient } from './serial-client.js';
export * from './store/libsql/kernel-state.js';
export * from './store/libsql/notes.js';
export type { StateValue } from './store/libsql/session-state.js';
export * from './store/libsql/sessions.js';
export { DERIVED_TITLE_CHARS, MAX_TITLE_CHARS } from './title.js';
