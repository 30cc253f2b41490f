/**
 * Which caps apply to a model call: the user's (all their agents together) and the agent's
 * (all users together), each from `oxydra budget set` over [budgets.users.<id>] /
 * [budgets.agents.<name>] over the [budgets] defaults.
 */
import type { AgentConfig } from '@oxydra/types';
import type { KernelDb, KernelStatement } from '../../store/kernel-db.js';
import type { PeriodKind } from './periods.js';

export const CAP_KEYS = ['daily_usd', 'monthly_usd', 'tokens_per_window', 'calls_per_window'] as const;
export type CapKey = (typeof CAP_KEYS)[number];

/** The user runs from a terminal act as. */
export const LOCAL_USER = 'local';

export interface Cap {
  scope: string;
  key: CapKey;
  limit: number;
  /** Where it was set: "oxydra budget set", or its configuration key. */
  source: string;
}

export const PERIOD_OF: Record<CapKey, PeriodKind> = {
  daily_usd: 'day',
  monthly_usd: 'month',
  tokens_per_window: 'window',
  calls_per_window: 'window',
};

export function userScope(userId: string | undefined): string {
  return `user:${userId ?? LOCAL_USER}`;
}

export function agentScope(agent: string): string {
  return `agent:${agent}`;
}

/** Caps set with `oxydra budget set` (they win over the configuration until unset). */
const capQueries = new WeakMap<KernelDb, KernelStatement>();

export function setCaps(db: KernelDb, scope: string): Partial<Record<CapKey, number>> {
  // Asked before every model call: the statement is prepared once per database.
  let query = capQueries.get(db);
  if (!query) {
    query = db.prepare('SELECT key, value FROM budget_limits WHERE scope = ?').raw(true);
    capQueries.set(db, query);
  }
  const rows = query.all(scope) as [CapKey, number][];
  return Object.fromEntries(rows);
}

export function capsFor(
  config: AgentConfig,
  db: KernelDb,
  who: { userId?: string | undefined; agent: string },
): Cap[] {
  return [...userCaps(config, db, who.userId ?? LOCAL_USER), ...agentCaps(config, db, who.agent)];
}

type Candidates = [number | undefined, string][];

/** The first cap that is set: `oxydra budget set`'s, else the configuration's, in order. */
function firstCap(scope: string, key: CapKey, set: number | undefined, configured: Candidates): Cap[] {
  if (set !== undefined) return [{ scope, key, limit: set, source: 'oxydra budget set' }];
  for (const [limit, source] of configured) if (limit !== undefined) return [{ scope, key, limit, source }];
  return [];
}

export function userCaps(config: AgentConfig, db: KernelDb, user: string): Cap[] {
  const { budgets } = config;
  const scope = userScope(user);
  const set = setCaps(db, scope);
  const own = Object.hasOwn(budgets.users, user) ? budgets.users[user] : undefined;
  return [
    ...firstCap(scope, 'daily_usd', set.daily_usd, [
      [own?.daily_usd, `budgets.users.${user}.daily_usd`],
      [budgets.user_daily_usd, 'budgets.user_daily_usd'],
    ]),
    ...firstCap(scope, 'monthly_usd', set.monthly_usd, [
      [own?.monthly_usd, `budgets.users.${user}.monthly_usd`],
      [budgets.user_monthly_usd, 'budgets.user_monthly_usd'],
    ]),
  ];
}

export function agentCaps(config: AgentConfig, db: KernelDb, agent: string): Cap[] {
  const { budgets } = config;
  const scope = agentScope(agent);
  const set = setCaps(db, scope);
  const own = Object.hasOwn(budgets.agents, agent) ? budgets.agents[agent] : undefined;
  const key = `budgets.agents.${agent}`;
  return [
    ...firstCap(scope, 'daily_usd', set.daily_usd, [
      [own?.daily_usd, `${key}.daily_usd`],
      [budgets.agent_daily_usd, 'budgets.agent_daily_usd'],
    ]),
    ...firstCap(scope, 'monthly_usd', set.monthly_usd, [
      [own?.monthly_usd, `${key}.monthly_usd`],
      [budgets.agent_monthly_usd, 'budgets.agent_monthly_usd'],
    ]),
    ...firstCap(scope, 'tokens_per_window', set.tokens_per_window, [
      [own?.tokens_per_window, `${key}.tokens_per_window`],
    ]),
    ...firstCap(scope, 'calls_per_window', set.calls_per_window, [
      [own?.calls_per_window, `${key}.calls_per_window`],
    ]),
  ];
}
