/**
 * The approvals queue (Oxios's HitL approvals for ManageRBAC and SystemConfig): the most
 * dangerous admin operations asked for over the gateway wait for a second person — the
 * workspace's owner at the terminal (`oxydra approvals approve <id>`) or another admin token —
 * before they take effect. Which operations wait is decided here and nowhere else:
 * - raising or removing a spending cap, measured on the cap in force: the scope's own, else the
 *   [budgets] default, else none (lowering it, or setting a first where none applies, applies at
 *   once: it only takes power away);
 * - making an admin token (its secret is returned when asked for; the token stays unusable until
 *   approved, so no secret is ever stored or shown to the approver).
 * Requests, grants and rejections are audit entries; a request left alone expires.
 */
import { randomBytes } from 'node:crypto';
import { UsageError } from '@oxydra/types';
import { type KernelDb, writeTransaction } from '../store/kernel-db.js';
import type { KernelAudit } from './audit/audit-log.js';
import type { BudgetCalls, BudgetTarget } from './budgets/budget-calls.js';
import type { CapKey } from './budgets/caps.js';
import type { Role, TokenCalls } from './tokens.js';

export type AdminOperation =
  | { op: 'budget_set'; target: BudgetTarget; key: CapKey; value: number | null }
  | { op: 'token_activate'; token: string; user: string; role: Role };

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'failed';

export interface AdminApproval {
  id: string;
  operation: AdminOperation;
  /** Who asked ("token:<id>"). */
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  status: ApprovalStatus;
  decidedBy?: string;
  decidedAt?: string;
  /** Why it was rejected, or why carrying it out failed. */
  reason?: string;
}

export interface ApprovalCalls {
  /** Queues an operation for a second person; audited. */
  request(operation: AdminOperation, actor: string): AdminApproval;
  /** Pending requests (all, newest first, with `all`). */
  list(options?: { all?: boolean }): AdminApproval[];
  get(id: string): AdminApproval | undefined;
  /** Carries the operation out; refused for the one who asked, or when it is no longer pending. */
  approve(id: string, actor: string): AdminApproval;
  reject(id: string, actor: string, reason?: string): AdminApproval;
  /** Whether a cap change must wait: it raises the cap in force (a default counts) or lifts it. */
  capChangeNeedsApproval(target: BudgetTarget, key: CapKey, value: number | null): boolean;
}

/** How long a request waits before it expires. */
export const APPROVAL_TTL_MS = 24 * 60 * 60 * 1000;

type Row = [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string | null,
  string | null,
  string | null,
];

const describeOperation = (operation: AdminOperation): string => {
  if (operation.op === 'token_activate')
    return `activate ${operation.role} token ${operation.token} for user ${operation.user}`;
  const whose =
    'user' in operation.target ? `user ${operation.target.user}` : `agent ${operation.target.agent}`;
  return operation.value === null
    ? `remove ${whose}'s ${operation.key} cap`
    : `set ${whose}'s ${operation.key} cap to ${operation.value}`;
};

export { describeOperation as describeAdminOperation };

export function approvalCalls(
  db: KernelDb,
  audit: KernelAudit,
  budgets: BudgetCalls,
  tokens: TokenCalls,
  now: () => number = Date.now,
): ApprovalCalls {
  const fromRow = ([
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
  ]: Row): AdminApproval => {
    const expired = status === 'pending' && Date.parse(expiresAt) <= now();
    return {
      id,
      operation: { op, ...JSON.parse(params) } as AdminOperation,
      requestedBy,
      requestedAt,
      expiresAt,
      status: expired ? 'expired' : (status as ApprovalStatus),
      ...(decidedBy !== null ? { decidedBy } : {}),
      ...(decidedAt !== null ? { decidedAt } : {}),
      ...(reason !== null ? { reason } : {}),
    };
  };
  const COLUMNS =
    'id, op, params, requested_by, requested_at, expires_at, status, decided_by, decided_at, reason';
  const get = (id: string): AdminApproval | undefined => {
    const row = db.prepare(`SELECT ${COLUMNS} FROM admin_approvals WHERE id = ?`).raw(true).get(id) as
      | Row
      | undefined;
    return row ? fromRow(row) : undefined;
  };
  const pendingOrThrow = (id: string, actor: string): AdminApproval => {
    const found = get(id);
    if (!found) {
      throw new UsageError(`no approval request ${id}`, { hint: 'list them with `oxydra approvals list`' });
    }
    if (found.status !== 'pending') {
      throw new UsageError(`approval request ${id} is ${found.status}, not pending`, {
        hint:
          found.status === 'expired' ? 'ask again: requests expire after 24 hours' : 'nothing left to decide',
      });
    }
    if (found.requestedBy === actor) {
      throw new UsageError(`approval request ${id} cannot be decided by the one who made it (${actor})`, {
        hint: 'another admin, or the workspace owner with `oxydra approvals approve`, decides it',
      });
    }
    return found;
  };
  const decide = (id: string, status: ApprovalStatus, actor: string, reason: string | undefined) => {
    db.prepare(
      `UPDATE admin_approvals SET status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND status = 'pending'`,
    ).run(status, actor, new Date(now()).toISOString(), reason ?? null, id);
  };
  const carryOut = (operation: AdminOperation, actor: string): void => {
    if (operation.op === 'budget_set') {
      budgets.set(operation.target, operation.key, operation.value ?? undefined, actor);
    } else if (!tokens.activate(operation.token)) {
      throw new UsageError(`token ${operation.token} was revoked meanwhile`);
    }
  };

  return {
    request(operation, actor) {
      const id = `ap-${randomBytes(5).toString('hex')}`;
      const at = now();
      const { op, ...params } = operation;
      writeTransaction(db, () => {
        db.prepare(
          `INSERT INTO admin_approvals (id, op, params, requested_by, requested_at, expires_at, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')`,
        ).run(
          id,
          op,
          JSON.stringify(params),
          actor,
          new Date(at).toISOString(),
          new Date(at + APPROVAL_TTL_MS).toISOString(),
        );
        audit.record(actor, 'admin_approval_request', { id, ...operation }, `approval:${id}`);
      });
      return get(id)!;
    },
    list(options = {}) {
      const rows = db
        .prepare(
          options.all
            ? `SELECT ${COLUMNS} FROM admin_approvals ORDER BY requested_at DESC`
            : `SELECT ${COLUMNS} FROM admin_approvals WHERE status = 'pending' AND expires_at > ? ORDER BY requested_at`,
        )
        .raw(true)
        .all(...(options.all ? [] : [new Date(now()).toISOString()])) as Row[];
      return rows.map(fromRow);
    },
    get,
    approve(id, actor) {
      return writeTransaction(db, () => {
        const found = pendingOrThrow(id, actor);
        // The operation, its own audit entry and the decision commit together.
        carryOut(found.operation, actor);
        decide(id, 'approved', actor, undefined);
        audit.record(
          actor,
          'admin_approval_grant',
          { id, requested_by: found.requestedBy },
          `approval:${id}`,
        );
        return get(id)!;
      });
    },
    reject(id, actor, reason) {
      return writeTransaction(db, () => {
        const found = pendingOrThrow(id, actor);
        if (found.operation.op === 'token_activate') tokens.revoke(found.operation.token, actor);
        decide(id, 'rejected', actor, reason);
        audit.record(
          actor,
          'admin_approval_reject',
          { id, requested_by: found.requestedBy, ...(reason ? { reason } : {}) },
          `approval:${id}`,
        );
        return get(id)!;
      });
    },
    capChangeNeedsApproval(target, key, value) {
      // Measured on the cap in force (caps.ts): a [budgets] default is a cap like any other,
      // so lifting a user above it, or removing the cap that kept them under it, is a raise.
      return budgets.preview(target, key, value ?? undefined).raises;
    },
  };
}
