/**
 * `@oxydra/kernel/stores`: the kernel database's stores, the embedded default of the store
 * contracts in @oxydra/types (tokens, approvals, schedules and run claims, the audit chain,
 * spend and the usage log), for another backend's package (PostgreSQL, issue 33) and its
 * contract tests: the sync group the services use, its async view (the contract's shape), and
 * each store on its own; and the kernel's memory of caps (what a store's watchCaps feeds), for
 * a backend's tests of its change signal.
 */
export { CAPS_MAX_AGE_MS, CapsMemory } from '../services/budgets/spending.js';
export { BUSY_TIMEOUT_MS, type KernelDb, kernelDbPath, openKernelDb } from '../store/kernel-db.js';
export { LibsqlApprovalStore } from '../store/libsql/approvals.js';
export { asyncControlStores } from '../store/libsql/async-view.js';
export { libsqlControlStores } from '../store/libsql/control.js';
export {
  CAPS_FRESH_MS,
  LibsqlAuditStore,
  LibsqlSpendStore,
  LibsqlUsageStore,
} from '../store/libsql/ledgers.js';
export { LibsqlScheduleStore } from '../store/libsql/schedules.js';
export { LibsqlTokenStore } from '../store/libsql/tokens.js';
export { kernelTransfer } from '../store/libsql/transfer.js';
export { type CopiedTable, type CopyProgress, copyStores } from '../store-copy/copy.js';
export { indexCopiedMemory } from '../store-copy/reindex.js';
export { TargetNotEmptyError } from '../store-copy/target-guard.js';
export { type CopyCheck, checkCopy } from '../store-copy/verify.js';
