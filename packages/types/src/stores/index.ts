/**
 * The store contracts (issue 32 item 3): each store the kernel keeps its data in is an
 * interface here, with the libSQL implementation as the embedded default in the owning package
 * and one shared contract suite in @oxydra/testkit/store-contracts that every implementation runs.
 */

export * from './answer.js';
export * from './approvals.js';
export * from './audit.js';
export * from './control.js';
export * from './notes.js';
export * from './schedules.js';
export * from './sessions.js';
export * from './spend.js';
export * from './state.js';
export * from './tokens.js';
export * from './usage.js';
