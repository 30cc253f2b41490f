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
import {
  type ApprovalStore,
  type ControlStoreGroup,
  type StoredApproval,
  type TokenStore,
  UsageError,
} from '@oxydra/types';
import type { KernelAudit } from './audit/audit-log.js';
import type { BudgetTarget, HeldBudgetCalls } from './budgets/budget-calls.js';
import type { CapKey } from './budgets/caps.js';
import type { HeldTokenCalls, Role } from './tokens.js';

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
  request(operation: AdminOperation, actor: string): Promise<AdminApproval>;
  /** Pending requests (all, newest first, with `all`). */
  list(options?: { all?: boolean }): Promise<AdminApproval[]>;
  get(id: string): Promise<AdminApproval | undefined>;
  /** Carries the operation out; refused for the one who asked, or when it is no longer pending. */
  approve(id: string, actor: string): Promise<AdminApproval>;
  reject(id: string, actor: string, reason?: string): Promise<AdminApproval>;
  /** Whether a cap change must wait: it raises the cap in force (a default counts) or lifts it. */
  capChangeNeedsApproval(target: BudgetTarget, key: CapKey, value: number | null): Promise<boolean>;
}

/** How long a request waits before it expires. */
export const APPROVAL_TTL_MS = 24 * 60 * 60 * 1000;

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

const TOKEN_ACTOR = 'token:';

/**
 * Whether two actors are one person: two stored tokens bound to the same user (one admin's laptop
 * and phone tokens). The second person of the two-person rule is another user, not another token
 * of the same one. The owner's gateway token and the terminal (`cli`) have no stored user: only
 * equal actors are the same there, as before.
 */
async function samePerson(tokens: TokenStore, one: string, other: string): Promise<boolean> {
  if (!one.startsWith(TOKEN_ACTOR) || !other.startsWith(TOKEN_ACTOR)) return false;
  const [first, second] = await Promise.all([
    tokens.get(one.slice(TOKEN_ACTOR.length)),
    tokens.get(other.slice(TOKEN_ACTOR.length)),
  ]);
  return first !== undefined && second !== undefined && first.userId === second.userId;
}

/**
 * The approvals service over the control stores (the kernel database's, or PostgreSQL's). Approving
 * carries the operation out, marks the request approved and records both in one transaction of
 * the group, so a failure anywhere leaves the request pending and nothing applied.
 */
export function approvalCalls(
  audit: KernelAudit,
  budgets: HeldBudgetCalls,
  tokens: HeldTokenCalls,
  now: () => number,
  stores: ControlStoreGroup,
): ApprovalCalls {
  const approvalOf = ({ op, params, status, ...rest }: StoredApproval): AdminApproval => {
    const expired = status === 'pending' && Date.parse(rest.expiresAt) <= now();
    return { ...rest, operation: { op, ...params } as AdminOperation, status: expired ? 'expired' : status };
  };
  const get = async (id: string, approvals: ApprovalStore = stores.approvals) => {
    const found = await approvals.get(id);
    return found ? approvalOf(found) : undefined;
  };
  const pendingOrThrow = async (
    approvals: ApprovalStore,
    tokenStore: TokenStore,
    id: string,
    actor: string,
  ): Promise<AdminApproval> => {
    const found = await get(id, approvals);
    if (!found) {
      throw new UsageError(`no approval request ${id}`, { hint: 'list them with `oxydra approvals list`' });
    }
    if (found.status !== 'pending') {
      throw new UsageError(`approval request ${id} is ${found.status}, not pending`, {
        hint:
          found.status === 'expired' ? 'ask again: requests expire after 24 hours' : 'nothing left to decide',
      });
    }
    if (found.requestedBy === actor || (await samePerson(tokenStore, found.requestedBy, actor))) {
      throw new UsageError(`approval request ${id} cannot be decided by the one who made it (${actor})`, {
        hint: 'another admin, or the workspace owner with `oxydra approvals approve`, decides it',
      });
    }
    return found;
  };
  const decide = async (
    approvals: ApprovalStore,
    id: string,
    status: 'approved' | 'rejected',
    actor: string,
    reason: string | undefined,
  ) => {
    const decidedAt = new Date(now()).toISOString();
    // Another process may have decided between our read and this write (a shared database).
    if (
      !(await approvals.decide(id, {
        status,
        decidedBy: actor,
        decidedAt,
        ...(reason !== undefined ? { reason } : {}),
      }))
    ) {
      throw new UsageError(`approval request ${id} was decided meanwhile`, {
        hint: 'nothing left to decide',
      });
    }
  };

  return {
    request(operation, actor) {
      const id = `ap-${randomBytes(5).toString('hex')}`;
      const at = now();
      const { op, ...params } = operation;
      return stores.transaction(async (tx) => {
        await tx.approvals.insert({
          id,
          op,
          params,
          requestedBy: actor,
          requestedAt: new Date(at).toISOString(),
          expiresAt: new Date(at + APPROVAL_TTL_MS).toISOString(),
        });
        await audit.recordIn(tx, actor, 'admin_approval_request', { id, ...operation }, `approval:${id}`);
        return (await get(id, tx.approvals))!;
      });
    },
    async list(options = {}) {
      const found = options.all
        ? await stores.approvals.listAll()
        : await stores.approvals.listPending(new Date(now()).toISOString());
      return found.map(approvalOf);
    },
    get: (id) => get(id),
    approve(id, actor) {
      return stores.transaction(async (tx) => {
        const found = await pendingOrThrow(tx.approvals, tx.tokens, id, actor);
        // The operation, its own audit entry and the decision commit together.
        const { operation } = found;
        if (operation.op === 'budget_set') {
          await budgets.setIn(tx, operation.target, operation.key, operation.value ?? undefined, actor);
        } else if (!(await tx.tokens.activate(operation.token))) {
          throw new UsageError(`token ${operation.token} was revoked meanwhile`);
        }
        await decide(tx.approvals, id, 'approved', actor, undefined);
        await audit.recordIn(
          tx,
          actor,
          'admin_approval_grant',
          { id, requested_by: found.requestedBy },
          `approval:${id}`,
        );
        return (await get(id, tx.approvals))!;
      });
    },
    reject(id, actor, reason) {
      return stores.transaction(async (tx) => {
        const found = await pendingOrThrow(tx.approvals, tx.tokens, id, actor);
        // Through the tokens service: the revocation is audited and pauses what it leaves without standing.
        if (found.operation.op === 'token_activate') await tokens.revokeIn(tx, found.operation.token, actor);
        await decide(tx.approvals, id, 'rejected', actor, reason);
        await audit.recordIn(
          tx,
          actor,
          'admin_approval_reject',
          { id, requested_by: found.requestedBy, ...(reason ? { reason } : {}) },
          `approval:${id}`,
        );
        return (await get(id, tx.approvals))!;
      });
    },
    async capChangeNeedsApproval(target, key, value) {
      // Measured on the cap in force (caps.ts): a [budgets] default is a cap like any other,
      // so lifting a user above it, or removing the cap that kept them under it, is a raise.
      return (await budgets.preview(target, key, value ?? undefined)).raises;
    },
  };
}
