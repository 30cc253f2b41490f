/**
 * The memory database as one object: opened, migrated, with its stores (sessions, notes, kernel
 * state). Other parts (the retrieval index, the memory tools) attach to `client` and to
 * `notes.setChangeHook`.
 */
import type { Client } from '@libsql/client';
import type { NoteStore, SessionStore, StateStore } from '@oxydra/types';
import { type MemoryCounts, memoryCounts } from './store/libsql/counts.js';
import { type DatabaseLocation, openDatabase } from './store/libsql/db.js';
import { LibsqlStateStore } from './store/libsql/kernel-state.js';
import { migrate } from './store/libsql/migrate.js';
import { LibsqlNoteStore, type NoteStoreOptions } from './store/libsql/notes.js';
import { LibsqlSessionStore } from './store/libsql/sessions.js';

export interface MemoryOptions extends DatabaseLocation {
  /** Passed to the NoteStore; can also be set later with `notes.setChangeHook`. */
  onNoteChange?: NoteStoreOptions['onChange'];
}

export interface MemoryDatabase {
  /** The libSQL client (for a local file: one connection taking turns; see serial-client.ts). */
  readonly client: Client;
  readonly sessions: SessionStore;
  readonly notes: NoteStore;
  /** Named JSON values that outlive sessions: the kernel's `state` system call. */
  readonly state: StateStore;
  /** The schema version after migrating: LATEST_SCHEMA_VERSION. */
  readonly schemaVersion: number;
  /** How many sessions and notes the database holds. */
  counts(): Promise<MemoryCounts>;
  /** Closes the client; further calls fail. Safe to call twice. */
  close(): Promise<void>;
}

/** Opens the database (see openDatabase), migrates it to the latest schema, and builds the stores. */
export async function openMemory(options: MemoryOptions): Promise<MemoryDatabase> {
  const { onNoteChange, ...location } = options;
  const client = await openDatabase(location);
  try {
    const label = location.path ?? (location.url?.startsWith('file:') ? location.url : 'at the remote URL');
    const { to } = await migrate(client, { label });
    return memoryOver(client, to, onNoteChange);
  } catch (error) {
    client.close();
    throw error;
  }
}

/** The stores over an open client whose schema is at `schemaVersion` (openMemory, deferredMemory). */
export function memoryOver(
  client: Client,
  schemaVersion: number,
  onNoteChange?: NoteStoreOptions['onChange'],
): MemoryDatabase {
  let state: StateStore | undefined;
  return {
    client,
    sessions: new LibsqlSessionStore(client),
    notes: new LibsqlNoteStore(client, onNoteChange ? { onChange: onNoteChange } : {}),
    // Made at the first `state` call: most runs never make one.
    get state() {
      if (!state) state = new LibsqlStateStore(client);
      return state;
    },
    schemaVersion,
    counts: () => memoryCounts(client),
    async close() {
      if (!client.closed) client.close();
    },
  };
}
