/**
 * The PostgreSQL ApprovalStore: the admin operations waiting for a second person. `decide`
 * changes only a row still pending, in one statement, so of two deciders exactly one wins.
 */
import type {
  ApprovalDecision,
  ApprovalStore,
  NewApproval,
  StoredApproval,
  StoredApprovalStatus,
} from '@oxydra/types';
import type { PgDatabase } from './database.js';

const COLUMNS =
  'id, op, params, requested_by, requested_at, expires_at, status, decided_by, decided_at, reason';

interface ApprovalRow {
  id: string;
  op: string;
  params: string;
  requested_by: string;
  requested_at: string;
  expires_at: string;
  status: StoredApprovalStatus;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
}

const approvalOf = (row: ApprovalRow): StoredApproval => ({
  id: row.id,
  op: row.op,
  // Kept as the JSON text it was given: parsed back exactly (jsonb would reorder keys).
  params: JSON.parse(row.params) as Record<string, unknown>,
  requestedBy: row.requested_by,
  requestedAt: row.requested_at,
  expiresAt: row.expires_at,
  status: row.status,
  ...(row.decided_by !== null ? { decidedBy: row.decided_by } : {}),
  ...(row.decided_at !== null ? { decidedAt: row.decided_at } : {}),
  ...(row.reason !== null ? { reason: row.reason } : {}),
});

export class PostgresApprovalStore implements ApprovalStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async insert(approval: NewApproval): Promise<void> {
    await this.#db.run((sql) =>
      sql.query(
        `INSERT INTO admin_approvals (id, op, params, requested_by, requested_at, expires_at, status)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending')`,
        [
          approval.id,
          approval.op,
          JSON.stringify(approval.params),
          approval.requestedBy,
          approval.requestedAt,
          approval.expiresAt,
        ],
      ),
    );
  }

  async get(id: string): Promise<StoredApproval | undefined> {
    return (await this.#all(`SELECT ${COLUMNS} FROM admin_approvals WHERE id = $1`, [id]))[0];
  }

  async listPending(now: string): Promise<StoredApproval[]> {
    return this.#all(
      `SELECT ${COLUMNS} FROM admin_approvals WHERE status = 'pending' AND expires_at > $1
       ORDER BY requested_at, row_id`,
      [now],
    );
  }

  async listAll(): Promise<StoredApproval[]> {
    return this.#all(`SELECT ${COLUMNS} FROM admin_approvals ORDER BY requested_at DESC, row_id DESC`, []);
  }

  async decide(id: string, decision: ApprovalDecision): Promise<boolean> {
    const { status, decidedBy, decidedAt, reason } = decision;
    const result = await this.#db.run((sql) =>
      sql.query(
        `UPDATE admin_approvals SET status = $1, decided_by = $2, decided_at = $3, reason = $4
         WHERE id = $5 AND status = 'pending'`,
        [status, decidedBy, decidedAt, reason ?? null, id],
      ),
    );
    return (result.rowCount ?? 0) > 0;
  }

  async #all(text: string, args: unknown[]): Promise<StoredApproval[]> {
    const { rows } = await this.#db.run((sql) => sql.query<ApprovalRow>(text, args));
    return rows.map(approvalOf);
  }
}
