/**
 * The store contracts (issue 32 item 3): each store the kernel keeps its data in is an
 * interface here, with the libSQL implementation as the embedded default in the owning package
 * and one shared contract suite in @oxydra/testkit/store-contracts that every implementation runs.
 */

export type * from './answer.js';
export type * from './approvals.js';
export type * from './audit.js';
export type * from './channel-health.js';
export type * from './channel-report.js';
export type * from './channels.js';
export * from './cluster.js';
export type * from './control.js';
export * from './event-bus.js';
export * from './notes.js';
export type * from './schedules.js';
export type * from './search-index.js';
export * from './sessions.js';
export type * from './spend.js';
export * from './state.js';
export type * from './tokens.js';
export * from './transfer.js';
export type * from './usage.js';
