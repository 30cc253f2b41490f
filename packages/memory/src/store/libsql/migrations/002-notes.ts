/** Version 2: notes the agent saves with memory_save, per user, with tags. */
import type { Migration } from './types.js';

export const notesMigration: Migration = {
  version: 2,
  name: 'notes',
  statements: [
    `CREATE TABLE notes (
      id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'note-%'),
      user_id TEXT,
      content TEXT NOT NULL CHECK (length(content) > 0),
      tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
    // Listing is newest first, per user or for everyone; tags are filtered with json_each.
    'CREATE INDEX notes_by_updated ON notes(updated_at DESC)',
    'CREATE INDEX notes_by_user_updated ON notes(user_id, updated_at DESC)',
  ],
};
