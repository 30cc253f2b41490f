/**
 * The kernel's control records as one group of stores sharing a database and its transactions:
 * gateway tokens, the admin approvals queue, schedules and their run claims, the audit chain, and
 * spend and usage. A change that spans stores — an approval carried out
 * and marked approved, a token revoked and the schedules it leaves without standing paused —
 * runs in `transaction(fn)`: fn gets the stores bound to one transaction, and all its writes
 * commit together or none (fn throws, or rejects, and nothing is kept). PostgreSQL binds them to
 * one client holding BEGIN … COMMIT; the embedded libSQL file to its one connection.
 */
import type { StoreAnswer, StoreMode } from './answer.js';
import type { ApprovalStore } from './approvals.js';
import type { AuditStore } from './audit.js';
import type { ScheduleStore } from './schedules.js';
import type { SpendStore } from './spend.js';
import type { TokenStore } from './tokens.js';
import type { UsageStore } from './usage.js';

export interface ControlStores<M extends StoreMode = 'async'> {
  tokens: TokenStore<M>;
  approvals: ApprovalStore<M>;
  schedules: ScheduleStore<M>;
  audit: AuditStore<M>;
  spend: SpendStore<M>;
  usage: UsageStore<M>;
}

export interface ControlStoreGroup<M extends StoreMode = 'async'> extends ControlStores<M> {
  /**
   * Runs fn with the stores bound to one transaction. Inside fn use only the stores it is given.
   * Called inside another transaction of the group, fn joins it (commits or rolls back with it).
   */
  transaction<T>(fn: (stores: ControlStores<M>) => StoreAnswer<T, M>): StoreAnswer<T, M>;
}
