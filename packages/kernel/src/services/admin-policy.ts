/**
 * The two-person rule as hosts use it: which admin changes asked for remotely apply at once and
 * which wait for a second person (the rule itself is admin-approvals.ts's), and the approvals
 * queue's live feed, told of every request and decision made through here. The gateway's
 * /api/v1 and /v1 admin routes only parse their wire format and map the answer.
 */
import { AdminApprovalFeed } from './admin-approval-feed.js';
import type { AdminApproval, ApprovalCalls } from './admin-approvals.js';
import type { BudgetCalls, BudgetTarget } from './budgets/budget-calls.js';
import type { CapKey } from './budgets/caps.js';
import type { Role, TokenCalls } from './tokens.js';

/** A spending-cap change as asked for: raise/remove waits for a second person, lower applies. */
export type CapChangeOutcome =
  | { status: 'applied' }
  | { status: 'pending_approval'; approval: AdminApproval };

export type MadeToken =
  | { id: string; token: string; status: 'active' }
  | { id: string; token: string; status: 'pending_approval'; approval: AdminApproval };

/**
 * The two-person rule as hosts use it (the gateway's /api/v1 and /v1 admin routes): which asked-for
 * changes apply at once and which wait for a second person, and the queue's live feed, told of
 * every request and decision made here. A host only parses its wire format and maps the answer.
 */
export interface AdminPolicy {
  /** The queue's live feed (GET /api/v1/events). */
  readonly feed: AdminApprovalFeed;
  /** Sets or removes a cap: raising the cap in force, or removing it, waits; lowering applies. */
  changeCap(
    target: BudgetTarget,
    key: CapKey,
    value: number | null,
    actor: string,
  ): Promise<CapChangeOutcome>;
  /** Makes a token asked for remotely: an admin one is returned at once but works only once approved. */
  makeToken(user: string, role: Role, label: string, actor: string): Promise<MadeToken>;
  /** Carries a waiting operation out; refused for the one who asked, or one no longer pending. */
  approve(id: string, actor: string): Promise<AdminApproval>;
  /** Refuses a waiting operation (a token it would have activated is revoked). */
  reject(id: string, actor: string, reason?: string): Promise<AdminApproval>;
}

export function adminPolicy(queue: ApprovalCalls, budgets: BudgetCalls, tokens: TokenCalls): AdminPolicy {
  const feed = new AdminApprovalFeed(queue);
  const told = (approval: AdminApproval): AdminApproval => {
    feed.announce(approval);
    return approval;
  };
  return {
    feed,
    async changeCap(target, key, value, actor) {
      if (await queue.capChangeNeedsApproval(target, key, value)) {
        return {
          status: 'pending_approval',
          approval: told(await queue.request({ op: 'budget_set', target, key, value }, actor)),
        };
      }
      await budgets.set(target, key, value ?? undefined, actor);
      return { status: 'applied' };
    },
    async makeToken(user, role, label, actor) {
      if (role !== 'admin') return { ...(await tokens.add(user, role, label, actor)), status: 'active' };
      const made = await tokens.add(user, role, label, actor, { pending: true });
      const approval = told(await queue.request({ op: 'token_activate', token: made.id, user, role }, actor));
      return { ...made, status: 'pending_approval', approval };
    },
    approve: async (id, actor) => told(await queue.approve(id, actor)),
    reject: async (id, actor, reason) => told(await queue.reject(id, actor, reason)),
  };
}
