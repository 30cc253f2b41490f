/**
 * The kernel's admin services as the gateway offers them, in one place for both route sets:
 * /api/v1 (the dashboard's REST API, snake_case, api/routes/admin.ts) and the older /v1 routes
 * kept for existing clients (http/kernel-admin.ts, http/kernel-approvals.ts). The routes check
 * the role, parse their wire format and shape the answer; what each operation does, what its
 * input may be and who may see what is decided here; which changes wait for a second person,
 * and the queue's live feed, are the kernel's (kernel.adminPolicy, services/admin-approvals.ts).
 */
import {
  type AdminApproval,
  type AdminApprovalFeed,
  type AuditEntry,
  type AuditFilter,
  CAP_KEYS,
  type CapChangeOutcome,
  type Kernel,
  type MadeToken,
  ROLES,
  type ScopeBudget,
  type TokenInfo,
  type VerifyReport,
} from '@oxydra/kernel';
import { z } from 'zod';
import { GatewayError } from './errors.js';

// ---- inputs, shared by both route sets ----

/** A spending-cap change: one of `user` or `agent`, a cap key, a value (null removes the cap). */
export const capChangeSchema = z.strictObject({
  user: z.string().min(1).max(64).optional(),
  agent: z.string().min(1).max(64).optional(),
  key: z.enum(CAP_KEYS),
  value: z.number().positive().nullable().describe("null removes the cap (the configuration's applies)"),
});
export type CapChange = z.infer<typeof capChangeSchema>;

/** The audit chain's filters (each route set wraps them in its own object, strict or not). */
export const auditFilterFields = {
  agent: z.string().max(200).optional(),
  type: z.string().max(64).optional(),
  since: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
};

/** Why an operation is refused (optional). */
export const rejectionSchema = z.strictObject({ reason: z.string().max(500).optional() }).optional();

/** A new token: its user, role (default user) and label. */
export const tokenRequestSchema = z.strictObject({
  user: z.string().min(1).max(64),
  role: z.enum(ROLES).default('user'),
  label: z.string().max(200).default(''),
});
export type TokenRequest = z.infer<typeof tokenRequestSchema>;

// ---- budgets ----

/** The spending caps and spend a token may see: a `user` token, its own user's only. */
export function visibleBudgets(kernel: Kernel, user: string | undefined): ScopeBudget[] {
  const all = kernel.budgets.show();
  return user === undefined ? all : all.filter((budget) => budget.scope === `user:${user}`);
}

/**
 * Sets or removes a cap; whether it applies at once or waits for a second person is the
 * kernel's two-person rule (kernel.adminPolicy).
 */
export function changeCap(kernel: Kernel, change: CapChange, actor: string): CapChangeOutcome {
  if ((change.user === undefined) === (change.agent === undefined)) {
    throw new GatewayError('invalid_request', 'name one of "user" or "agent"');
  }
  const target = change.user !== undefined ? { user: change.user } : { agent: change.agent! };
  return kernel.adminPolicy.changeCap(target, change.key, change.value, actor);
}

// ---- the audit chain ----

export function auditEntries(kernel: Kernel, filter: AuditFilter & { limit: number }): AuditEntry[] {
  return kernel.audit.list({
    ...(filter.agent !== undefined ? { agent: filter.agent } : {}),
    ...(filter.type !== undefined ? { type: filter.type } : {}),
    ...(filter.since !== undefined ? { since: filter.since } : {}),
    limit: filter.limit,
  });
}

export function verifyAudit(kernel: Kernel): Promise<VerifyReport> {
  return kernel.audit.verify();
}

// ---- the approvals queue ----

/** The approvals queue's live feed (the kernel's, one per kernel). */
export function approvalFeed(kernel: Kernel): AdminApprovalFeed {
  return kernel.adminPolicy.feed;
}

/** Pending requests (oldest first), or every request (newest first) with `all`. */
export function listApprovals(kernel: Kernel, all: boolean): AdminApproval[] {
  return kernel.adminApprovals.list({ all });
}

/** Carries a waiting operation out; refused for the one who asked, or one no longer pending. */
export function approveApproval(kernel: Kernel, id: string, actor: string): AdminApproval {
  return kernel.adminPolicy.approve(id, actor);
}

/** Refuses a waiting operation (a token it would have activated is revoked). */
export function rejectApproval(
  kernel: Kernel,
  id: string,
  actor: string,
  reason: string | undefined,
): AdminApproval {
  return kernel.adminPolicy.reject(id, actor, reason);
}

// ---- tokens ----

export function listTokens(kernel: Kernel): TokenInfo[] {
  return kernel.tokens.list();
}

/**
 * Makes a token. An admin token asked for over the network is returned at once but works only
 * once a second person approves it (the kernel's two-person rule).
 */
export function makeToken(kernel: Kernel, request: TokenRequest, actor: string): MadeToken {
  return kernel.adminPolicy.makeToken(request.user, request.role, request.label, actor);
}

/** Revokes an active token; false when there is none by that id. */
export function revokeToken(kernel: Kernel, id: string, actor: string): boolean {
  return kernel.tokens.revoke(id, actor);
}
