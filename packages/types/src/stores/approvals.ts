/**
 * The queue of admin operations waiting for a second person (the two-person rule) as a store
 * contract. The store keeps requests and decisions; what an operation means, who may decide
 * it and carrying it out are the kernel's (services/admin-approvals.ts), which carries it out
 * and records the decision in one transaction of the store group (control.ts). The kernel
 * database is the embedded default; PostgreSQL (issue 33) implements the same interface.
 */
import type { StoreAnswer, StoreMode } from './answer.js';

/** What is stored; "expired" is never stored: a pending request past expiresAt is expired. */
export type StoredApprovalStatus = 'pending' | 'approved' | 'rejected' | 'failed';

export interface StoredApproval {
  id: string;
  /** The operation's kind (e.g. "budget_set"). */
  op: string;
  /** The operation's parameters: JSON data, kept exactly. */
  params: Record<string, unknown>;
  requestedBy: string;
  /** ISO 8601 UTC, as are the other times. */
  requestedAt: string;
  expiresAt: string;
  status: StoredApprovalStatus;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
}

export type NewApproval = Pick<
  StoredApproval,
  'id' | 'op' | 'params' | 'requestedBy' | 'requestedAt' | 'expiresAt'
>;

export interface ApprovalDecision {
  status: Exclude<StoredApprovalStatus, 'pending'>;
  decidedBy: string;
  decidedAt: string;
  reason?: string;
}

export interface ApprovalStore<M extends StoreMode = 'async'> {
  /** Queues a pending request; an id that exists already is refused. */
  insert(approval: NewApproval): StoreAnswer<void, M>;
  get(id: string): StoreAnswer<StoredApproval | undefined, M>;
  /** Requests still pending and not expired at `now` (ISO), oldest first. */
  listPending(now: string): StoreAnswer<StoredApproval[], M>;
  /** Every request, newest first. */
  listAll(): StoreAnswer<StoredApproval[], M>;
  /**
   * Records the decision of a pending request; false when it is missing or no longer pending
   * (someone decided first: of two racing deciders exactly one gets true).
   */
  decide(id: string, decision: ApprovalDecision): StoreAnswer<boolean, M>;
}
