/**
 * Version 1: sessions and their append-only conversation log, plus per-session state.
 * Ids are TEXT (UUID v7 for sessions) so later tables can reference them by value.
 */
import type { Migration } from './types.js';

export const sessionsMigration: Migration = {
  version: 1,
  name: 'sessions',
  statements: [
    `CREATE TABLE sessions (
      id TEXT PRIMARY KEY NOT NULL,
      title TEXT,
      user_id TEXT,
      agent TEXT,
      -- a delegated sub-agent's session points at its parent; deleting the parent keeps it
      parent_session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
    // Listing is newest first, per user or for everyone.
    'CREATE INDEX sessions_by_updated ON sessions(updated_at DESC)',
    'CREATE INDEX sessions_by_user_updated ON sessions(user_id, updated_at DESC)',
    'CREATE INDEX sessions_by_parent ON sessions(parent_session_id) WHERE parent_session_id IS NOT NULL',
    // One row per message. seq is 1, 2, 3... per session with no gaps; turn numbers the
    // appendTurn call that wrote it, so a turn's messages can be found (and are never split).
    `CREATE TABLE conversation_events (
      session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
      seq INTEGER NOT NULL CHECK (seq >= 1),
      turn INTEGER NOT NULL CHECK (turn >= 1),
      role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
      payload TEXT NOT NULL CHECK (json_valid(payload)),
      created_at TEXT NOT NULL,
      PRIMARY KEY (session_id, seq)
    )`,
    'CREATE INDEX conversation_events_by_turn ON conversation_events(session_id, turn)',
    // Small named values per session (rolling summary, scratchpad). epoch counts writes, for
    // compare-and-set: a writer that read an older epoch loses instead of overwriting.
    `CREATE TABLE session_state (
      session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      epoch INTEGER NOT NULL CHECK (epoch >= 1),
      updated_at TEXT NOT NULL,
      PRIMARY KEY (session_id, key)
    )`,
  ],
};
