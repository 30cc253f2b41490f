/**
 * The workspace's held services without agents: what `oxydra audit`, `budget`, `costs`, `token`,
 * `approvals`, `schedule` and `checkpoints` use. It opens the kernel database and the audit chain
 * (every service writes through them) and nothing else: no sandbox probe, no tools, no model;
 * each service is built on first ask by the same registry a kernel uses (services/registry.ts).
 */
import { existsSync } from 'node:fs';
import { type MemoryDatabase, openMemory } from '@oxydra/memory';
import type { AgentConfig, ControlStoreGroup, SessionStore } from '@oxydra/types';
import { warnOnStderr } from '@oxydra/types';
import { claimMemory, memoryLocation } from './assemble/memory.js';
import { KernelAudit } from './services/audit/audit-log.js';
import { SpendingLedger } from './services/budgets/spending.js';
import { heldHistory } from './services/history/held-history.js';
import { ServiceHost } from './services/service-host.js';
import { type KernelDb, openKernelDb } from './store/kernel-db.js';
import { asyncControlStores } from './store/libsql/async-view.js';

export interface OpenedServices {
  readonly workspace: string;
  /** The named service, opened on first ask. */
  service: ServiceHost['service'];
  /** Several services by name: `const { tokens } = await services.services('tokens')`. */
  services: ServiceHost['services'];
  /** @internal the database, for tests. */
  readonly db: KernelDb;
  close(): Promise<void>;
}

export async function openServices(options: {
  workspace: string;
  config: AgentConfig;
  /**
   * Stores in place of the workspace's libSQL files, as `openKernel` takes them: a host on
   * PostgreSQL passes its control group (tokens, approvals, schedules, audit, spend, usage) and
   * sessions, so an admin command reads and writes what its gateways do.
   */
  stores?: { control?: ControlStoreGroup; sessions?: SessionStore };
}): Promise<OpenedServices> {
  const { workspace, config, stores } = options;
  const db = await openKernelDb(workspace);
  let memory: MemoryDatabase | undefined;
  try {
    const control = stores?.control ?? asyncControlStores(db);
    const audit = await KernelAudit.open(workspace, db, {
      maxEntries: config.audit.max_entries,
      stores: control,
    });
    if (stores?.sessions === undefined) memory = await openExistingMemory(config, workspace);
    const history = heldHistory(workspace, config, audit);
    const spending = new SpendingLedger(db, { windowSecs: config.budgets.window_secs, stores: control });
    const host = new ServiceHost({
      workspace,
      config,
      db,
      control,
      audit,
      spending,
      warn: warnOnStderr,
      sessions: () => stores?.sessions ?? memory?.sessions,
      checkpoints: async () => history?.(),
    });
    return {
      workspace,
      db,
      service: (name) => host.service(name),
      services: (...names) => host.services(...names),
      close: async () => {
        try {
          await host.close();
        } finally {
          spending.close();
          db.close();
          await memory?.close();
        }
      },
    };
  } catch (error) {
    db.close();
    await memory?.close();
    throw error;
  }
}

/** The sessions database when there is one (its recorded heads); never created as a side effect. */
async function openExistingMemory(
  config: AgentConfig,
  workspace: string,
): Promise<MemoryDatabase | undefined> {
  if (!config.memory.enabled) return undefined;
  const location = memoryLocation(config, workspace);
  claimMemory(location, { create: false });
  if ('path' in location && !existsSync(location.path)) return undefined;
  return openMemory(location);
}
