/**
 * The kernel's workspace services without agents: what `oxydra audit`, `oxydra budget`,
 * `oxydra costs` and `oxydra checkpoints` need, opened without probing the sandbox or loading
 * tools. openKernel opens the same database and services for its agents.
 */
import { existsSync } from 'node:fs';
import { type MemoryDatabase, openMemory } from '@oxydra/memory';
import type { AgentConfig } from '@oxydra/types';
import { claimMemory, memoryLocation } from './assemble/memory.js';
import { type ScheduleCalls, scheduleCalls } from './scheduler/schedule-calls.js';
import type { ApprovalCalls } from './services/admin-approvals.js';
import { adminServices } from './services/admin-services.js';
import { type AuditCalls, auditCalls } from './services/audit/audit-calls.js';
import { KernelAudit } from './services/audit/audit-log.js';
import type { BudgetCalls } from './services/budgets/budget-calls.js';
import { SpendingLedger } from './services/budgets/spending.js';
import { type CheckpointCalls, WorkspaceHistory } from './services/history/workspace-history.js';
import type { TokenCalls } from './services/tokens.js';
import { type CostCalls, costCalls } from './services/usage/cost-report.js';
import { type KernelDb, openKernelDb } from './store/kernel-db.js';

export interface WorkspaceServices {
  workspace: string;
  audit: AuditCalls;
  budgets: BudgetCalls;
  /** What was spent, from the usage log (`oxydra costs`). */
  costs: CostCalls;
  tokens: TokenCalls;
  adminApprovals: ApprovalCalls;
  /** Undefined when [checkpoints] enabled = false. */
  checkpoints: CheckpointCalls | undefined;
  /** Stored schedules: `oxydra schedule` changes them without running anything. */
  schedules: ScheduleCalls;
  /** @internal the database, for the other services and tests. */
  db: KernelDb;
  close(): Promise<void>;
}

export async function openWorkspaceServices(options: {
  workspace: string;
  config: AgentConfig;
}): Promise<WorkspaceServices> {
  const { workspace, config } = options;
  const db = openKernelDb(workspace);
  let memory: MemoryDatabase | undefined;
  try {
    const audit = await KernelAudit.open(workspace, db, { maxEntries: config.audit.max_entries });
    memory = await openExistingMemory(config, workspace);
    return {
      workspace,
      db,
      audit: auditCalls(audit, () => memory?.sessions),
      ...adminServices(config, db, new SpendingLedger(db, { windowSecs: config.budgets.window_secs }), audit),
      costs: costCalls(db),
      checkpoints: config.checkpoints.enabled
        ? new WorkspaceHistory(workspace, { maxFileBytes: config.checkpoints.max_file_bytes, audit })
        : undefined,
      schedules: scheduleCalls(db, audit, { config }),
      close: async () => {
        db.close();
        await memory?.close();
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
