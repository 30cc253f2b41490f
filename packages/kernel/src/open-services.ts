/**
 * The workspace's held services without agents: what `oxydra audit`, `budget`, `costs`, `token`,
 * `approvals`, `schedule` and `checkpoints` use. Nothing is opened up front: the kernel database,
 * the audit chain, the spend ledger and the sessions database each open at the first service that
 * needs them, so `oxydra token list` never opens (or claims, or sets aside) memory.db, and
 * `oxydra costs` never loads the audit chain. No sandbox probe, no tools, no model; each service is
 * built on first ask by the same registry a kernel uses (services/registry.ts).
 */
import { existsSync } from 'node:fs';
import type { MemoryDatabase } from '@oxydra/memory';
import type { AgentConfig, ControlStoreGroup, SessionStore } from '@oxydra/types';
import { warnOnStderr } from '@oxydra/types';
import { KernelAudit } from './services/audit/audit-log.js';
import { SpendingLedger } from './services/budgets/spending.js';
import { heldHistory } from './services/history/held-history.js';
import { ServiceHost } from './services/service-host.js';
import { openKernelDb } from './store/kernel-db.js';
import { asyncControlStores } from './store/libsql/async-view.js';
import { claimMemory, memoryLocation } from './store/state-origin.js';

export interface OpenedServices {
  readonly workspace: string;
  /** The named service, opened on first ask. */
  service: ServiceHost['service'];
  /** Several services by name: `const { tokens } = await services.services('tokens')`. */
  services: ServiceHost['services'];
  close(): Promise<void>;
}

/** A piece opened at its first ask and kept (the same promise after); `held()` is what was asked. */
interface Held<T> {
  (): Promise<T>;
  held(): Promise<T> | undefined;
}

function held<T>(open: () => Promise<T>): Held<T> {
  let opening: Promise<T> | undefined;
  return Object.assign(() => (opening ??= open()), { held: () => opening });
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
  const db = held(() => openKernelDb(workspace));
  const control = held(async () => stores?.control ?? asyncControlStores(await db()));
  const audit = held(async () =>
    KernelAudit.open(workspace, await db(), {
      maxEntries: config.audit.max_entries,
      stores: await control(),
    }),
  );
  const spending = held(
    async () =>
      new SpendingLedger(await db(), { windowSecs: config.budgets.window_secs, stores: await control() }),
  );
  const memory = held(async () =>
    stores?.sessions === undefined ? openExistingMemory(config, workspace) : undefined,
  );
  const history = held(async () => heldHistory(workspace, config, await audit()));
  const host = new ServiceHost({
    workspace,
    config,
    control,
    audit,
    spending,
    warn: warnOnStderr,
    sessions: async () => stores?.sessions ?? (await memory())?.sessions,
    checkpoints: async () => (await history())?.(),
  });
  return {
    workspace,
    service: (name) => host.service(name),
    services: (...names) => host.services(...names),
    close: async () => {
      // What was opened closes, in the reverse order of need; a piece that failed to open has nothing to close.
      const opened = async <T>(piece: Held<T>) => piece.held()?.catch(() => undefined);
      try {
        await host.close();
      } finally {
        (await opened(spending))?.close();
        (await opened(db))?.close();
        await (await opened(memory))?.close();
      }
    },
  };
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
  const { openMemory } = await import('@oxydra/memory');
  return openMemory(location);
}
