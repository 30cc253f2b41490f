/**
 * `@oxydra/testkit/store-contracts`: one vitest suite per store contract of @oxydra/types. An
 * implementation's test file calls the suite with a function that opens a fresh store.
 */
export { approvalStoreContract } from './approvals.js';
export { auditStoreContract } from './audit.js';
export { channelStoreContract } from './channels.js';
export { clusterStoreContract } from './cluster.js';
export { controlStoreGroupContract } from './control.js';
export { type BusEngine, type BusEngineOpener, eventBusContract } from './event-bus.js';
export * from './harness.js';
export { noteStoreContract } from './notes.js';
export { newRun, storedSchedule } from './schedule-rows.js';
export { scheduleStoreContract } from './schedules.js';
export { type SearchIndexFixture, searchIndexStoreContract } from './search-index.js';
export { sessionStoreContract } from './sessions.js';
export { spendStoreContract } from './spend.js';
export { stateStoreContract } from './state.js';
export { tokenStoreContract } from './tokens.js';
export { usageStoreContract } from './usage.js';
