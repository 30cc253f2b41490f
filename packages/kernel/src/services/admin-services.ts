/**
 * The workspace's admin services over kernel.db — spending caps, gateway tokens and the queue
 * of admin operations waiting for approval — built once here for both the kernel and the
 * agent-less CLI commands (workspace-services.ts), which open the same database.
 */
import type { AgentConfig, ControlStoreGroup } from '@oxydra/types';
import { pauseAfterRevoke } from '../scheduler/token-standing.js';
import type { KernelDb } from '../store/kernel-db.js';
import { libsqlControlStores } from '../store/libsql/control.js';
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
  db: KernelDb,
  ledger: SpendingLedger,
  audit: KernelAudit,
  /** Where tokens and approvals are kept; default: the kernel database's. */
  stores: ControlStoreGroup<'sync'> = libsqlControlStores(db),
): AdminServices {
  const stored = tokenCalls(db, audit, stores);
  const tokens: TokenCalls = {
    ...stored,
    // A revoked token pauses, in the same transaction, the schedules it leaves without standing.
    revoke: (id, actor) =>
      stores.transaction((tx) => {
        const revoked = stored.revoke(id, actor);
        if (revoked) pauseAfterRevoke(tx, audit, id, Date.now());
        return revoked;
      }),
  };
  const tokenUsers = () => [
    ...new Set(stored.list().flatMap((token) => (token.revokedAt === null ? [token.user] : []))),
  ];
  const budgets = budgetCalls(config, db, ledger, audit, tokenUsers);
  return { budgets, tokens, adminApprovals: approvalCalls(db, audit, budgets, tokens, Date.now, stores) };
}
