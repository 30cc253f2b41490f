/** Opening the workspace's memory for the `sessions` and `memory` commands. */
import { existsSync } from 'node:fs';
import { findWorkspaceRoot } from '@oxydra/config';
import {
  claimMemory,
  memoryLocation,
  openWorkspaceMemory,
  type WorkspaceMemory,
} from '@oxydra/kernel/workspace';
import { type MemoryDatabase, openMemory } from '@oxydra/memory';
import { type AgentConfig, UsageError } from '@oxydra/types';
import { loadCliConfig } from './load-config.js';

async function enabledConfig(): Promise<AgentConfig> {
  const { config } = await loadCliConfig();
  if (!config.memory.enabled) {
    throw new UsageError('memory is disabled ([memory] enabled = false)', {
      hint: 'enable it in .oxydra/agent.toml or with OXYDRA__MEMORY__ENABLED=true',
    });
  }
  return config;
}

/**
 * The database only (no embedder), or undefined when its local file does not exist yet:
 * listing sessions must not create an empty database as a side effect.
 */
export async function openSessionsDatabase(): Promise<MemoryDatabase | undefined> {
  const location = memoryLocation(await enabledConfig(), findWorkspaceRoot());
  claimMemory(location, { create: false });
  if ('path' in location && !existsSync(location.path)) return undefined;
  return openMemory(location);
}

/** The database with its embedder and retrieval, for note and search commands. */
export async function openMemoryWithRetrieval(): Promise<WorkspaceMemory> {
  return openWorkspaceMemory(await enabledConfig(), findWorkspaceRoot(), process.env);
}
