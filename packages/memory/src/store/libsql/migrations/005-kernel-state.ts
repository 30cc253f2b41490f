/**
 * Version 5: the kernel's durable named values (kernel.state.save/load/delete/list), one JSON
 * value per (category, name), outliving any session. version counts writes, for
 * compare-and-set, as session_state's epoch does.
 *
 * An ordinary rowid table, not WITHOUT ROWID: values may be up to 1 MiB, and SQLite advises
 * WITHOUT ROWID only for rows well under a page; large rows would spill into the key b-tree.
 */
import type { Migration } from './types.js';

export const kernelStateMigration: Migration = {
  version: 5,
  name: 'kernel-state',
  statements: [
    `CREATE TABLE kernel_state (
      category TEXT NOT NULL CHECK (length(category) BETWEEN 1 AND 128),
      name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
      value TEXT NOT NULL CHECK (json_valid(value)),
      version INTEGER NOT NULL CHECK (version >= 1),
      updated_at TEXT NOT NULL,
      PRIMARY KEY (category, name)
    )`,
  ],
};
