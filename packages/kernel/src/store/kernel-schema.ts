/**
 * The kernel database's schema, one SQL script per version (PRAGMA user_version counts them).
 * Append new steps; never edit a released one.
 */
export const KERNEL_MIGRATIONS: readonly string[] = [
  // 1: the audit chain. `action` is the canonical JSON of {type, data}, exactly as hashed.
  `CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY,
     ts TEXT NOT NULL,
     actor TEXT NOT NULL,
     action_type TEXT NOT NULL,
     action TEXT NOT NULL,
     resource TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE INDEX audit_log_type ON audit_log (action_type, seq);
   CREATE INDEX audit_log_actor ON audit_log (actor, seq);
   CREATE TABLE audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];
