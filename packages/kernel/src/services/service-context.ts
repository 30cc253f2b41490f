/**
 * What a held service is opened from: the workspace's control stores and audit chain, which
 * every service writes through, plus, in a kernel, the agents side (the scheduler spawns, exec
 * runs commands the agents' way). openServices gives the first half alone to admin commands.
 * The shared pieces are asked for, not held: a kernel has them open already, while openServices
 * opens each at the first service that needs it (a command opens only what it uses).
 */
import type { SessionStore } from '@oxydra/memory';
import type { Clock } from '@oxydra/runtime';
import type { AgentConfig, ControlStoreGroup } from '@oxydra/types';
import type { AgentDescription } from '../assemble/agent.js';
import type { KernelBase } from '../assemble/base.js';
import type { WorkspaceMemory } from '../assemble/memory.js';
import type { AgentHandle, KernelStores, SpawnSpec } from '../types.js';
import type { KernelAudit } from './audit/audit-log.js';
import type { BudgetSnapshot } from './budgets/accounts.js';
import type { SpendingLedger } from './budgets/spending.js';
import type { CheckpointCalls } from './history/workspace-history.js';

export interface ServiceContext {
  workspace: string;
  config: AgentConfig;
  /** The control stores every admin service uses: `stores.control`, else the kernel database's. */
  control: () => Promise<ControlStoreGroup>;
  audit: () => Promise<KernelAudit>;
  spending: () => Promise<SpendingLedger>;
  warn: (message: string) => void;
  /** The stored sessions (audit reports name their heads); undefined when there are none. */
  sessions: () => Promise<SessionStore | undefined>;
  /** The workspace's checkpoints, undefined when [checkpoints] is off. */
  checkpoints: () => Promise<CheckpointCalls | undefined>;
  /** Writes pending usage rows before a cost report reads them. */
  flushUsage?: () => Promise<void>;
  clock?: Clock;
  memory?: WorkspaceMemory;
  stores?: Partial<KernelStores>;
  /** Work to do when the holder closes (a started scheduler stops). */
  atClose(close: () => Promise<void> | void): void;
  /** Present when a kernel holds the services. */
  agents?: {
    base: KernelBase;
    clock: Clock;
    spawn: (spec: SpawnSpec) => AgentHandle;
    /** The agent a spawn would run (kernel.describe): the kernel's own resolution of it. */
    describe: (spec: Pick<SpawnSpec, 'agent'>) => AgentDescription;
    checkBudget: (agentId: string) => BudgetSnapshot | undefined;
  };
}
