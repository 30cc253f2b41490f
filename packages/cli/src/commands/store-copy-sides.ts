/**
 * The two sides of `oxydra store copy`, opened: this workspace's libSQL files (the memory file
 * and the kernel database, each claimed as every command does) and a PostgreSQL schema (a
 * target migrated, a source only read). Each gives its transfers, the stores the check reads,
 * and how to close it.
 */
import { findWorkspaceRoot } from '@oxydra/config';
import { asyncControlStores, kernelDbPath, kernelTransfer, openKernelDb } from '@oxydra/kernel/stores';
import { claimMemory, memoryLocation, stateStanding } from '@oxydra/kernel/workspace';
import { memoryTransfer, openMemory } from '@oxydra/memory';
import { describeTarget, openPostgresStores, PostgresSchemaError } from '@oxydra/store-postgres';
import { type AuditStore, type SessionStore, type StoreTransfer, UsageError } from '@oxydra/types';
import { loadCliConfig } from '../run/load-config.js';

/** One side of a copy: its transfers, the stores the check reads, and how to close it. */
export interface Side {
  name: string;
  transfers: StoreTransfer[];
  sessions: SessionStore;
  audit: AuditStore;
  close(): Promise<void>;
}

/**
 * A source's state files that are not this user's are refused, not copied: opening them would
 * set them aside (state-origin.ts) and copy the fresh empty ones in their place, a copy of
 * nothing reported as complete (exit 0) while the data, or a file planted in the folder, stays
 * behind. A target's are set aside as every command does: a copy needs an empty target anyway.
 */
/** How stateStanding says a file SQLite cannot read (damaged, or no database at all): adopting it would not help. */
const UNREADABLE = 'it cannot be read as a database';

function refuseForeignSource(paths: readonly string[]): void {
  for (const path of paths) {
    const { standing, why } = stateStanding(path);
    if (standing !== 'foreign') continue;
    throw new UsageError(`cannot copy from ${path}: ${why ?? 'it is not yours'}, so nothing in it is used`, {
      hint: why?.startsWith(UNREADABLE)
        ? 'if it is your own database, damaged, restore it from a backup; otherwise move it aside (with its -wal and -shm files)'
        : "if it is a file this user made, record it with `oxydra trust --adopt-state`, then copy again (a link or another user's file is never used)",
    });
  }
}

export async function openWorkspaceSide(source: boolean): Promise<Side> {
  const { config } = await loadCliConfig({ ask: false });
  const workspace = findWorkspaceRoot();
  const location = memoryLocation(config, workspace);
  if (source)
    refuseForeignSource(['path' in location ? [location.path] : [], kernelDbPath(workspace)].flat());
  // A memory file that came with the folder is set aside, never copied (as every command does).
  claimMemory(location);
  const memory = await openMemory(location);
  const db = await openKernelDb(workspace);
  const memoryName = 'path' in location ? location.path : location.url;
  return {
    name: `this workspace (${workspace})`,
    transfers: [
      memoryTransfer(memory.client, `libsql:${memoryName}`),
      kernelTransfer(db, `libsql:${kernelDbPath(workspace)}`),
    ],
    sessions: memory.sessions,
    audit: asyncControlStores(db).audit,
    async close() {
      await memory.close();
      db.close();
    },
  };
}

export async function openPostgresSide(
  url: string,
  schema: string | undefined,
  target: boolean,
): Promise<Side> {
  // A target is migrated; a source only read, and one holding no (or other) stores refused.
  const stores = await openPostgresStores({ url, ...(schema ? { schema } : {}), migrate: target }).catch(
    (error: unknown) => {
      if (!(error instanceof PostgresSchemaError)) throw error;
      throw new UsageError(`cannot copy from ${describeTarget(url)}: ${error.message.split(':')[0]}`, {
        hint: 'name the schema that holds the data with --schema (default oxydra)',
      });
    },
  );
  return {
    name: `${stores.target} schema ${stores.schema}`,
    transfers: [stores.transfer],
    sessions: stores.sessions,
    audit: stores.control.audit,
    close: () => stores.close(),
  };
}
