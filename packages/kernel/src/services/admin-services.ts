/**
 * The workspace's admin services over the control stores — spending caps, gateway tokens and the
 * queue of admin operations waiting for approval — built once here for both the kernel and the
 * agent-less CLI commands (open-services.ts), which open the same stores.
 */
import type { AgentConfig, ControlStoreGroup } from '@oxydra/types';
import { pauseAfterRevoke } from '../scheduler/token-standing.js';
import { type ApprovalCalls, approvalCalls } from './admin-approvals.js';
import type { KernelAudit } from './audit/audit-log.js';
import { type BudgetCalls, budgetCalls } from './budgets/budget-calls.js';
import type { SpendingLedger } from './budgets/spending.js';
import { type TokenCalls, tokenCalls } from './tokens.js';

export interface AdminServices {
  budgets: BudgetCalls;
  tokens: TokenCalls;
  /** Admin operations asked for over the gateway that wait for a second person. */
  adminApprovals: ApprovalCalls;
}

export function adminServices(
  config: AgentConfig,
  ledger: SpendingLedger,
  audit: KernelAudit,
  /** Where tokens and approvals are kept: the kernel database's, or a host's (PostgreSQL's). */
  stores: ControlStoreGroup,
): AdminServices {
  // A revoked token pauses, in the same transaction, the schedules it leaves without standing.
  const tokens = tokenCalls(audit, stores, (tx, id) => pauseAfterRevoke(tx, audit, id, Date.now()));
  const tokenUsers = async () => [
    ...new Set((await tokens.list()).flatMap((token) => (token.revokedAt === null ? [token.user] : []))),
  ];
  const budgets = budgetCalls(config, ledger, audit, stores, tokenUsers);
  return { budgets, tokens, adminApprovals: approvalCalls(audit, budgets, tokens, Date.now, stores) };
}
