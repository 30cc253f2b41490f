/**
 * `@oxydra/kernel/local-db`: the opener of the workspace's local libSQL files (WAL, owner-only,
 * schema steps applied once across processes), for a host package that keeps a file of its own
 * (the channel host's `.oxydra/channels.db`) without loading the kernel's stores.
 */
export { type KernelDb as LocalDb, openLocalDb } from '../store/kernel-db.js';
