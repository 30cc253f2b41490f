/**
 * The budget system calls (Oxios's check_budget / set_budget / reset_budget) over the
 * persistent caps: what each user and agent has spent in the current day, month and window
 * against its caps, and the admin operations that change caps or forget spend (audited).
 */
import { type AgentConfig, type ControlStoreGroup, type ControlStores, UsageError } from '@oxydra/types';
import type { KernelAudit } from '../audit/audit-log.js';
import {
  AGENT_CAP_KEYS,
  agentCaps,
  type BudgetTarget,
  CAP_KEYS,
  type Cap,
  type CapChangeEffect,
  type CapKey,
  capChange,
  LOCAL_USER,
  storedCaps,
  targetScope,
  USER_CAP_KEYS,
  userCaps,
} from './caps.js';
import type { SpendingLedger } from './spending.js';

export interface CapStatus extends Cap {
  used: number;
  /** Reserved by calls in progress. */
  reserved: number;
  remaining: number;
  resetsAt: string;
}

export interface ScopeBudget {
  scope: string;
  /** The caps in force, each with where it comes from (`source`, `origin`). */
  caps: CapStatus[];
  /** The caps this scope could have that nothing sets: no limit. */
  uncapped: CapKey[];
  /** This period's spend (UTC day, UTC month). */
  today: { usd: number; calls: number; tokens: number };
  month: { usd: number; calls: number; tokens: number };
}

export type { BudgetTarget };

export interface BudgetCalls {
  show(): Promise<ScopeBudget[]>;
  /**
   * Sets (a number) or removes (undefined: the configuration's applies again) one cap. Removing
   * a cap `oxydra budget set` never set is refused: the configuration's cap would stay.
   */
  set(target: BudgetTarget, key: CapKey, value: number | undefined, actor: string): Promise<void>;
  /** What `set` would do to the cap in force (the two-person rule asks before it). */
  preview(target: BudgetTarget, key: CapKey, value: number | undefined): Promise<CapChangeEffect>;
  /** Forgets the target's spend in the current day, month and window. */
  reset(target: BudgetTarget, actor: string): Promise<number>;
}

/** The budget calls as the approvals queue uses them: a cap set inside its transaction. */
export interface HeldBudgetCalls extends BudgetCalls {
  /** `set` inside the caller's transaction of the group (`tx`). */
  setIn(
    tx: ControlStores,
    target: BudgetTarget,
    key: CapKey,
    value: number | undefined,
    actor: string,
  ): Promise<void>;
}

export function budgetCalls(
  config: AgentConfig,
  ledger: SpendingLedger,
  audit: KernelAudit,
  stores: ControlStoreGroup,
  /** Users who hold a gateway token: listed by `show` even before they spend. */
  tokenUsers: () => Promise<string[]>,
): HeldBudgetCalls {
  const scopeOf = targetScope;
  const capsOf = async (scope: string) => {
    const [kind, name] = [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1)];
    const set = await storedCaps(stores.spend, scope);
    return kind === 'user' ? userCaps(config, name, set) : agentCaps(config, name, set);
  };
  const calls: HeldBudgetCalls = {
    async show() {
      const now = ledger.now();
      const rows = await ledger.current();
      const scopes = new Set<string>([
        `user:${LOCAL_USER}`,
        ...Object.keys(config.budgets.users).map((user) => `user:${user}`),
        ...(await tokenUsers()).map((user) => `user:${user}`),
        ...Object.keys(config.budgets.agents).map((agent) => `agent:${agent}`),
        ...['default', ...Object.keys(config.agents)].map((agent) => `agent:${agent}`),
        ...rows.map((row) => row.scope),
        ...(await ledger.scopesWithCaps()),
      ]);
      const day = ledger.period('daily_usd', now).key;
      const month = ledger.period('monthly_usd', now).key;
      const spendIn = (scope: string, period: string) => {
        const row = rows.find((r) => r.scope === scope && r.period === period);
        return { usd: row?.usd ?? 0, calls: row?.calls ?? 0, tokens: row?.tokens ?? 0 };
      };
      const shown: ScopeBudget[] = [];
      for (const scope of [...scopes].sort()) {
        const caps = await capsOf(scope);
        const possible = scope.startsWith('user:') ? USER_CAP_KEYS : AGENT_CAP_KEYS;
        const statuses: CapStatus[] = [];
        for (const cap of caps) {
          const { spent, reserved, period } = await ledger.used(cap, now);
          statuses.push({
            ...cap,
            used: spent,
            reserved,
            remaining: Math.max(0, cap.limit - spent - reserved),
            resetsAt: new Date(period.endsAt).toISOString(),
          });
        }
        shown.push({
          scope,
          caps: statuses,
          uncapped: possible.filter((key) => !caps.some((cap) => cap.key === key)),
          today: spendIn(scope, day),
          month: spendIn(scope, month),
        });
      }
      return shown;
    },
    preview(target, key, value) {
      // In a transaction, through its store: never the ledger's memory (spending.ts's CapsMemory), so the
      // two-person rule never judges a raise on a cap changed elsewhere a moment ago.
      return stores.transaction((tx) => capChange(config, tx.spend, target, key, value));
    },
    set(target, key, value, actor) {
      return stores.transaction((tx) => calls.setIn(tx, target, key, value, actor));
    },
    async setIn(tx, target, key, value, actor) {
      if (!CAP_KEYS.includes(key)) {
        throw new UsageError(`unknown cap "${key}"`, { hint: `caps: ${CAP_KEYS.join(', ')}` });
      }
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new UsageError(`a cap must be a number above 0, got ${value}`);
      }
      if (key.endsWith('_window')) {
        if ('user' in target) {
          throw new UsageError(`${key} is a per-agent budget`, {
            hint: 'use --agent <name>, or --daily/--monthly for a user',
          });
        }
        if (!Number.isInteger(value ?? 1)) throw new UsageError(`${key} is a whole number, got ${value}`);
      }
      const scope = scopeOf(target);
      // The change and its audit entry commit together (in the caller's transaction).
      {
        const effect = await capChange(config, tx.spend, target, key, value);
        if (value === undefined && effect.noop) {
          const inForce = effect.before;
          throw new UsageError(
            `${scope} has no ${key} cap set with \`oxydra budget set\`: nothing to remove`,
            {
              hint: inForce
                ? `the cap in force (${inForce.limit}) comes from ${inForce.source} in the configuration: change it there, or set another value`
                : 'it has no cap at all',
            },
          );
        }
        await tx.spend.setCap(scope, key, value);
        await audit.recordIn(tx, actor, 'budget_change', { key, value: value ?? null }, scope);
      }
    },
    reset(target, actor) {
      const scope = scopeOf(target);
      return stores.transaction(async (tx) => {
        const removed = await ledger.reset(scope, tx.spend);
        await audit.recordIn(tx, actor, 'budget_reset', { periods: removed }, scope);
        return removed;
      });
    },
  };
  return calls;
}
