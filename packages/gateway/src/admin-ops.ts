/**
 * The kernel's admin services as the gateway offers them, in one place for both route sets:
 * /api/v1 (the dashboard's REST API, snake_case, api/routes/admin.ts) and the older /v1 routes
 * kept for existing clients (http/kernel-admin.ts, http/kernel-approvals.ts). The routes check
 * the role, parse their wire format and shape the answer; what each operation does, what its
 * input may be and who may see what is decided here; which changes wait for a second person,
 * and the queue's live feed, are the kernel's (kernel.adminPolicy, services/admin-approvals.ts).
 */
import type { Kernel } from '@oxydra/kernel';
import {
  type AdminApproval,
  type AdminApprovalFeed,
  CAP_KEYS,
  type CapChangeOutcome,
  type MadeToken,
  ROLES,
  type ScopeBudget,
  type TokenInfo,
} from '@oxydra/kernel/admin';
import type { AuditEntry, AuditFilter, VerifyReport } from '@oxydra/kernel/audit';
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
export async function visibleBudgets(kernel: Kernel, user: string | undefined): Promise<ScopeBudget[]> {
  const all = await (await kernel.service('budgets')).show();
  return user === undefined ? all : all.filter((budget) => budget.scope === `user:${user}`);
}

/**
 * Sets or removes a cap; whether it applies at once or waits for a second person is the
 * kernel's two-person rule (kernel.adminPolicy).
 */
export async function changeCap(kernel: Kernel, change: CapChange, actor: string): Promise<CapChangeOutcome> {
  if ((change.user === undefined) === (change.agent === undefined)) {
    throw new GatewayError('invalid_request', 'name one of "user" or "agent"');
  }
  const target = change.user !== undefined ? { user: change.user } : { agent: change.agent! };
  return (await kernel.service('adminPolicy')).changeCap(target, change.key, change.value, actor);
}

// ---- the audit chain ----

export async function auditEntries(
  kernel: Kernel,
  filter: AuditFilter & { limit: number },
): Promise<AuditEntry[]> {
  return (await kernel.service('audit')).list({
    ...(filter.agent !== undefined ? { agent: filter.agent } : {}),
    ...(filter.type !== undefined ? { type: filter.type } : {}),
    ...(filter.since !== undefined ? { since: filter.since } : {}),
    limit: filter.limit,
  });
}

export async function verifyAudit(kernel: Kernel): Promise<VerifyReport> {
  return (await kernel.service('audit')).verify();
}

// ---- the approvals queue ----

/** The approvals queue's live feed (the kernel's, one per kernel). */
export async function approvalFeed(kernel: Kernel): Promise<AdminApprovalFeed> {
  return (await kernel.service('adminPolicy')).feed;
}

/** Pending requests (oldest first), or every request (newest first) with `all`. */
export async function listApprovals(kernel: Kernel, all: boolean): Promise<AdminApproval[]> {
  return (await kernel.service('adminApprovals')).list({ all });
}

/** Carries a waiting operation out; refused for the one who asked, or one no longer pending. */
export async function approveApproval(kernel: Kernel, id: string, actor: string): Promise<AdminApproval> {
  return (await kernel.service('adminPolicy')).approve(id, actor);
}

/** Refuses a waiting operation (a token it would have activated is revoked). */
export async function rejectApproval(
  kernel: Kernel,
  id: string,
  actor: string,
  reason: string | undefined,
): Promise<AdminApproval> {
  return (await kernel.service('adminPolicy')).reject(id, actor, reason);
}

// ---- tokens ----

export async function listTokens(kernel: Kernel): Promise<TokenInfo[]> {
  return (await kernel.service('tokens')).list();
}

/**
 * Makes a token. An admin token asked for over the network is returned at once but works only
 * once a second person approves it (the kernel's two-person rule).
 */
export async function makeToken(kernel: Kernel, request: TokenRequest, actor: string): Promise<MadeToken> {
  return (await kernel.service('adminPolicy')).makeToken(request.user, request.role, request.label, actor);
}

/** Revokes an active token; false when there is none by that id. */
export async function revokeToken(kernel: Kernel, id: string, actor: string): Promise<boolean> {
  return (await kernel.service('tokens')).revoke(id, actor);
}
