/** Opening the workspace's memory for the `sessions` and `memory` commands. */
import { existsSync } from 'node:fs';
import { findWorkspaceRoot } from '@oxydra/config';
import {
  claimMemory,
  memoryLocation,
  openWorkspaceMemory,
  type WorkspaceMemory,
} from '@oxydra/kernel/workspace';
import { openMemory } from '@oxydra/memory';
import { type AgentConfig, type SessionStore, UsageError } from '@oxydra/types';
import { type ConfigFlagValues, toCliOverrides } from '../config-flags.js';
import { loadCliConfig } from './load-config.js';
import { openPostgres, storeChoice } from './store-choice.js';

async function enabledConfig(flags: Pick<ConfigFlagValues, 'store'> = {}): Promise<AgentConfig> {
  const cli = flags.store !== undefined ? { cli: await toCliOverrides({ store: flags.store }) } : {};
  const { config } = await loadCliConfig(cli);
  if (!config.memory.enabled) {
    throw new UsageError('memory is disabled ([memory] enabled = false)', {
      hint: 'enable it in .oxydra/agent.toml or with OXYDRA__MEMORY__ENABLED=true',
    });
  }
  return config;
}

/** The sessions of the store [store] (or --store) names, to read or delete them. */
export interface OpenedSessions {
  sessions: SessionStore;
  close(): Promise<void>;
}

/**
 * The configured store's sessions: the memory database's (no embedder), or undefined when its
 * local file does not exist yet (listing sessions must not create an empty database as a side
 * effect); PostgreSQL's when [store] backend = "postgres".
 */
export async function openSessions(
  flags: Pick<ConfigFlagValues, 'store'> = {},
): Promise<OpenedSessions | undefined> {
  const config = await enabledConfig(flags);
  const choice = storeChoice(config);
  if (choice.backend === 'postgres') {
    const stores = await openPostgres(choice);
    return { sessions: stores.sessions, close: () => stores.close() };
  }
  const location = memoryLocation(config, findWorkspaceRoot());
  claimMemory(location, { create: false });
  if ('path' in location && !existsSync(location.path)) return undefined;
  return openMemory(location);
}

/**
 * The database with its embedder and retrieval, for note and search commands: with [store]
 * backend = "postgres", the notes (and sessions) are PostgreSQL's, as the kernel's are.
 */
export async function openMemoryWithRetrieval(): Promise<WorkspaceMemory> {
  const config = await enabledConfig();
  const choice = storeChoice(config);
  if (choice.backend === 'libsql') return openWorkspaceMemory(config, findWorkspaceRoot(), process.env);
  const stores = await openPostgres(choice);
  try {
    const memory = await openWorkspaceMemory(
      config,
      findWorkspaceRoot(),
      process.env,
      undefined,
      {},
      { sessions: stores.sessions, notes: stores.notes, searchIndex: stores.searchIndex },
    );
    return {
      ...memory,
      close: async () => {
        try {
          await memory.close();
        } finally {
          await stores.close();
        }
      },
    };
  } catch (error) {
    await stores.close();
    throw error;
  }
}
