/**
 * The libSQL ApprovalStore over the kernel database's admin_approvals table (the embedded
 * default of the contract in @oxydra/types). `decide` changes only a row still pending, in one
 * statement, so of two deciders (two processes) exactly one wins.
 */
import type {
  ApprovalDecision,
  ApprovalStore,
  NewApproval,
  StoredApproval,
  StoredApprovalStatus,
} from '@oxydra/types';
import type { KernelDb } from '../kernel-db.js';

type ApprovalRow = [
  string,
  string,
  string,
  string,
  string,
  string,
  StoredApprovalStatus,
  string | null,
  string | null,
  string | null,
];

const COLUMNS =
  'id, op, params, requested_by, requested_at, expires_at, status, decided_by, decided_at, reason';

const approvalOf = ([
  id,
  op,
  params,
  requestedBy,
  requestedAt,
  expiresAt,
  status,
  decidedBy,
  decidedAt,
  reason,
]: ApprovalRow): StoredApproval => ({
  id,
  op,
  params: JSON.parse(params) as Record<string, unknown>,
  requestedBy,
  requestedAt,
  expiresAt,
  status,
  ...(decidedBy !== null ? { decidedBy } : {}),
  ...(decidedAt !== null ? { decidedAt } : {}),
  ...(reason !== null ? { reason } : {}),
});

export class LibsqlApprovalStore implements ApprovalStore<'sync'> {
  readonly #insert;
  readonly #get;
  readonly #pending;
  readonly #all;
  readonly #decide;

  constructor(db: KernelDb) {
    this.#insert = db.prepare(
      `INSERT INTO admin_approvals (id, op, params, requested_by, requested_at, expires_at, status)
       VALUES (?, ?, ?, ?, ?, ?, 'pending')`,
    );
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM admin_approvals WHERE id = ?`).raw(true);
    this.#pending = db
      .prepare(
        `SELECT ${COLUMNS} FROM admin_approvals WHERE status = 'pending' AND expires_at > ? ORDER BY requested_at, rowid`,
      )
      .raw(true);
    this.#all = db
      .prepare(`SELECT ${COLUMNS} FROM admin_approvals ORDER BY requested_at DESC, rowid DESC`)
      .raw(true);
    this.#decide = db.prepare(
      `UPDATE admin_approvals SET status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND status = 'pending'`,
    );
  }

  insert(approval: NewApproval): void {
    this.#insert.run(
      approval.id,
      approval.op,
      JSON.stringify(approval.params),
      approval.requestedBy,
      approval.requestedAt,
      approval.expiresAt,
    );
  }

  get(id: string): StoredApproval | undefined {
    const row = this.#get.get(id) as ApprovalRow | undefined;
    return row ? approvalOf(row) : undefined;
  }

  listPending(now: string): StoredApproval[] {
    return (this.#pending.all(now) as ApprovalRow[]).map(approvalOf);
  }

  listAll(): StoredApproval[] {
    return (this.#all.all() as ApprovalRow[]).map(approvalOf);
  }

  decide(id: string, decision: ApprovalDecision): boolean {
    const { status, decidedBy, decidedAt, reason } = decision;
    return this.#decide.run(status, decidedBy, decidedAt, reason ?? null, id).changes > 0;
  }
}
