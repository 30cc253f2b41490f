/**
 * `@oxydra/testkit/store-contracts`: one vitest suite per store contract of @oxydra/types. An
 * implementation's test file calls the suite with a function that opens a fresh store.
 */
export * from './harness.js';
export { noteStoreContract } from './notes.js';
export { sessionStoreContract } from './sessions.js';
export { stateStoreContract } from './state.js';
