/**
 * `@oxydra/kernel/local-db`: the opener of the workspace's local libSQL files (WAL, owner-only,
 * schema steps applied once across processes), for a host package that keeps a file of its own
 * (the channel host's `.oxydra/channels.db`) without loading the kernel's stores; and the claim
 * such a file needs first, since a folder can arrive with one (state-origin.ts).
 */
export { type KernelDb as LocalDb, openLocalDb } from '../store/kernel-db.js';
export { claimWorkspaceState, stateStanding } from '../store/state-origin.js';
export { channelDbPath } from '../store/state-paths.js';
