/**
 * `@oxydra/kernel/admin`: the names of the admin services (tokens, the approvals queue and its
 * two-person rule, spending caps, the cost report) and the owner's grant over the whole session
 * store (a type here, given only with a kernel opened by `openKernel(options, { ownerGrant: true })`,
 * as OwnedKernel). Hosts reach the services themselves through
 * `kernel.service(...)` or `openServices(...)`.
 */

export type { OwnedKernel } from '../kernel-api.js';
export {
  AdminApprovalFeed,
  type ApprovalChange,
  type ApprovalChangeType,
} from '../services/admin-approval-feed.js';
export {
  type AdminApproval,
  type AdminOperation,
  APPROVAL_TTL_MS,
  type ApprovalCalls,
  type ApprovalStatus,
  describeAdminOperation,
} from '../services/admin-approvals.js';
export type { AdminPolicy, CapChangeOutcome, MadeToken } from '../services/admin-policy.js';
export type { UsageKind } from '../services/budgets/accounts.js';
export type { BudgetCalls, BudgetTarget, CapStatus, ScopeBudget } from '../services/budgets/budget-calls.js';
export {
  CAP_KEYS,
  type CapChangeEffect,
  type CapKey,
  type CapOrigin,
  LOCAL_USER,
} from '../services/budgets/caps.js';
export type { OwnerGrant } from '../services/session-access.js';
export { type Principal, ROLES, type Role, type TokenCalls, type TokenInfo } from '../services/tokens.js';
export {
  COST_GROUPS,
  type CostCalls,
  type CostGroup,
  type CostQuery,
  type CostReport,
  type CostRow,
  type CostTotals,
} from '../services/usage/cost-report.js';
