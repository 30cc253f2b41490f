/**
 * What a kernel takes of the PostgreSQL stores (`openKernel({ stores })`), in one place: the
 * CLI's hosts hand exactly this to the kernel, and the kernel and gateway suites' PostgreSQL
 * side (OXYDRA_TEST_STORE=postgres) open their kernels with it, so what is tested is what runs.
 */
import type { PostgresStores } from './open.js';

export type PostgresKernelStores = Pick<
  PostgresStores,
  'sessions' | 'state' | 'notes' | 'searchIndex' | 'control'
>;

export function kernelStores(stores: PostgresStores): PostgresKernelStores {
  return {
    sessions: stores.sessions,
    state: stores.state,
    notes: stores.notes,
    // pgvector HNSW and tsvector: conversations kept here are searchable here.
    searchIndex: stores.searchIndex,
    // Tokens, approvals, schedules and run claims, the audit chain, spend and usage: what
    // several gateways on one database must share.
    control: stores.control,
  };
}
