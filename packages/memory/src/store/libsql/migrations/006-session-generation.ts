/**
 * Version 6: a session's generation, a number no other session row of the file ever had, so a
 * session deleted and made again under the same id reads as a different session (SessionStamp)
 * to a history cache in any process. It was rowid@created_at, but SQLite gives a row made after
 * deleting the last one the same rowid, and the two could share a millisecond.
 *
 * The counter lives in its own one-row table, which deletes never lower (max(rowid) would fall
 * back when the newest session goes); a trigger numbers every insert, whichever code path or
 * process makes it, inside the inserting transaction. Existing sessions keep their rowid as
 * generation and the counter starts above them.
 */
import type { Migration } from './types.js';

export const sessionGenerationMigration: Migration = {
  version: 6,
  name: 'session-generation',
  statements: [
    'ALTER TABLE sessions ADD COLUMN generation INTEGER NOT NULL DEFAULT 0',
    'UPDATE sessions SET generation = rowid',
    `CREATE TABLE session_generation (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      last INTEGER NOT NULL
    )`,
    'INSERT INTO session_generation (id, last) SELECT 1, coalesce(max(rowid), 0) FROM sessions',
    `CREATE TRIGGER sessions_generation AFTER INSERT ON sessions BEGIN
      UPDATE session_generation SET last = last + 1 WHERE id = 1;
      UPDATE sessions SET generation = (SELECT last FROM session_generation WHERE id = 1)
        WHERE rowid = new.rowid;
    END`,
  ],
};
