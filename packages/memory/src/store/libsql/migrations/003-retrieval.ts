/**
 * Retrieval: chunks of notes and conversations, their full-text index and their vectors.
 *
 * Vectors are not in a libSQL vector index. Measured at 256 dimensions with bench/memory.mjs
 * --compare (hybrid search, 100k chunks): libsql_vector_idx with 1-bit compressed neighbours
 * ingests ~600 chunks/s, takes ~3.9 KB per chunk and its approximate search found the right
 * note a third as often as an exact scan; with float8 neighbours ~425 chunks/s and ~8 KB per
 * chunk; brute-force vector_distance_cos takes ~100 ms per query. Instead each vector is
 * stored as float32 (exact reranking in SQL) plus a 1-bit code of its rotated coordinates
 * that an in-memory scan reads (retrieval/codes.ts, retrieval/vector-cache.ts): ~1,800
 * chunks/s, ~1.9 KB per chunk beyond the text, hybrid query p50 ~8 ms at 100k chunks.
 */
import type { Migration } from './types.js';

export const retrievalMigration: Migration = {
  version: 3,
  name: 'retrieval',
  statements: [
    `CREATE TABLE chunks (
      id INTEGER PRIMARY KEY,
      source_type TEXT NOT NULL CHECK (source_type IN ('note', 'conversation')),
      source_id TEXT NOT NULL,
      -- a conversation chunk goes with its session (the sessions store relies on this cascade)
      session_id TEXT REFERENCES sessions (id) ON DELETE CASCADE,
      user_id TEXT,
      ordinal INTEGER NOT NULL,
      text TEXT NOT NULL,
      content_hash TEXT NOT NULL,
      tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
      created_at TEXT NOT NULL
    )`,
    'CREATE INDEX chunks_source ON chunks (source_type, source_id, ordinal)',
    'CREATE INDEX chunks_session ON chunks (session_id) WHERE session_id IS NOT NULL',
    'CREATE INDEX chunks_user ON chunks (user_id) WHERE user_id IS NOT NULL',
    'CREATE INDEX chunks_content_hash ON chunks (content_hash)',

    // External content: the text lives once, in chunks; the triggers keep the index in step.
    // porter: "indexing" finds "indexed"; remove_diacritics: "cafe" finds "café".
    `CREATE VIRTUAL TABLE chunks_fts USING fts5(
      text, content = 'chunks', content_rowid = 'id',
      tokenize = 'porter unicode61 remove_diacritics 2'
    )`,
    `CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
      INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
    END`,
    `CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
      INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END`,
    `CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN
      INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
      INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
    END`,

    // One vector per chunk. Rows are never updated, only deleted and inserted (a new model's
    // vector is a new row), and AUTOINCREMENT never reuses an id: in-memory caches in any
    // process catch up by reading ids above the last one they saw, plus the tombstones.
    `CREATE TABLE chunk_vectors (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      chunk_id INTEGER NOT NULL UNIQUE,
      model_id TEXT NOT NULL,
      dims INTEGER NOT NULL,
      code BLOB NOT NULL,
      vector BLOB NOT NULL
    )`,
    `CREATE TABLE chunk_vector_tombstones (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      vector_id INTEGER NOT NULL
    )`,
    // A trigger rather than a foreign key: it holds whether or not PRAGMA foreign_keys is on.
    `CREATE TRIGGER chunks_delete_vector AFTER DELETE ON chunks BEGIN
      DELETE FROM chunk_vectors WHERE chunk_id = old.id;
    END`,
    `CREATE TRIGGER chunk_vectors_tombstone AFTER DELETE ON chunk_vectors BEGIN
      INSERT INTO chunk_vector_tombstones (vector_id) VALUES (old.id);
    END`,
  ],
};
