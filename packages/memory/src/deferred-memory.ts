/**
 * A local memory database that does not exist yet, created (opened and migrated, as openMemory
 * does) at its first statement instead of when it is asked for. A gateway started in a new
 * workspace answers /readyz without it: creating and migrating the file was part of that start
 * (docs/gateway.md, sixth round), for a database the first turn (or the first note, session
 * listing...) creates anyway.
 * Its session store's `exists()` says whether that has happened, so a readiness probe need not
 * create it to ask.
 */
import { type MemoryDatabase, type MemoryOptions, memoryOver } from './memory.js';
import { LATEST_SCHEMA_VERSION } from './store/libsql/migrate.js';
import { DeferredClient, type DeferredClientOptions } from './store/local/deferred-client.js';

interface DeferredMemoryOptions extends DeferredClientOptions, Pick<MemoryOptions, 'onNoteChange'> {}

/** The memory database at `options.path`, created at its first statement (see the file comment). */
export function deferredMemory(options: DeferredMemoryOptions): MemoryDatabase {
  const client = new DeferredClient(options);
  const memory = memoryOver(client, LATEST_SCHEMA_VERSION, options.onNoteChange);
  // The store answers readiness probes without creating the file (SessionStore.exists).
  memory.sessions.exists = () => client.created;
  return memory;
}
