/**
 * Which caps apply to a model call: the user's (all their agents together) and the agent's
 * (all users together), each from `oxydra budget set` over [budgets.users.<id>] /
 * [budgets.agents.<name>] over the [budgets] defaults. This is the one place that says which
 * cap is in force for a scope: model calls, `oxydra budget show` and the two-person rule on
 * raising a cap (capChange) all ask it, so a default is never mistaken for "no cap". And the
 * periods each cap counts over (PERIOD_OF, periodOf).
 */
import type { AgentConfig, SpendStore } from '@oxydra/types';

export const CAP_KEYS = ['daily_usd', 'monthly_usd', 'tokens_per_window', 'calls_per_window'] as const;
export type CapKey = (typeof CAP_KEYS)[number];

/** The user runs from a terminal act as. */
export const LOCAL_USER = 'local';

/** Whose caps: a user ("alice") or an agent name ("researcher", "default"). */
export type BudgetTarget = { user: string } | { agent: string };

/**
 * explicit: set for this scope (`oxydra budget set`, [budgets.users.<id>], [budgets.agents.<name>]);
 * default: one of [budgets]' user_* / agent_* defaults, which apply to every scope without its own.
 */
export type CapOrigin = 'explicit' | 'default';

export interface Cap {
  scope: string;
  key: CapKey;
  limit: number;
  /** Where it was set: "oxydra budget set", or its configuration key. */
  source: string;
  origin: CapOrigin;
}

/** The caps each kind of scope can have (the window caps are per agent). */
export const USER_CAP_KEYS: readonly CapKey[] = ['daily_usd', 'monthly_usd'];
export const AGENT_CAP_KEYS: readonly CapKey[] = CAP_KEYS;

/**
 * The periods caps count over: UTC days, UTC calendar months and fixed windows of
 * window_secs. A period's key names it in the ledger; its end is when the cap resets.
 */
export type PeriodKind = 'day' | 'month' | 'window';

export interface Period {
  kind: PeriodKind;
  key: string;
  /** When the period began, epoch ms. */
  startsAt: number;
  /** When the next period starts (the cap resets), epoch ms. */
  endsAt: number;
}

export function periodOf(kind: PeriodKind, now: number, windowSecs = 3600): Period {
  const at = new Date(now);
  if (kind === 'day') {
    const start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
    return {
      kind,
      key: `day:${new Date(start).toISOString().slice(0, 10)}`,
      startsAt: start,
      endsAt: start + 86_400_000,
    };
  }
  if (kind === 'month') {
    const start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
    return {
      kind,
      key: `month:${new Date(start).toISOString().slice(0, 7)}`,
      startsAt: start,
      endsAt: Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1),
    };
  }
  const index = Math.floor(now / (windowSecs * 1000));
  return {
    kind,
    key: `window:${windowSecs}:${index}`,
    startsAt: index * windowSecs * 1000,
    endsAt: (index + 1) * windowSecs * 1000,
  };
}

/** "2026-11-23 00:00 UTC (in 9h 12m)". */
export function describeReset(endsAt: number, now: number): string {
  const when = new Date(endsAt).toISOString().slice(0, 16).replace('T', ' ');
  const minutes = Math.max(1, Math.ceil((endsAt - now) / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  const span = days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${rest}m` : `${rest}m`;
  return `${when} UTC (in ${span})`;
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

/**
 * The caps a store keeps for `scope` (`oxydra budget set`'s; they win over the configuration
 * until unset). `spend`: a store (read now), or the ledger (its memory, spending.ts's CapsMemory).
 */
export function storedCaps(spend: Pick<SpendStore, 'caps'>, scope: string): Promise<SetCaps> {
  return spend.caps(scope) as Promise<SetCaps>;
}

/**
 * The caps in force for a model call; `spend` asked as storedCaps says (the ledger, before calls).
 * Frozen, and kept while the ledger hands out the same stored caps (spending.ts's CapsMemory keeps them
 * between changes): every model call asks, and building the list anew each time was a few
 * percent of what a turn allocates.
 */
export async function capsFor(
  config: AgentConfig,
  spend: Pick<SpendStore, 'caps'>,
  who: { userId?: string | undefined; agent: string },
): Promise<readonly Cap[]> {
  const user = who.userId ?? LOCAL_USER;
  const [userSet, agentSet] = await Promise.all([
    storedCaps(spend, userScope(user)),
    storedCaps(spend, agentScope(who.agent)),
  ]);
  const kept = keptCaps.get(userSet)?.get(agentSet);
  if (kept && kept.config === config && kept.user === user && kept.agent === who.agent) return kept.caps;
  const caps = Object.freeze(
    [...userCaps(config, user, userSet), ...agentCaps(config, who.agent, agentSet)].map((cap) =>
      Object.freeze(cap),
    ),
  );
  let byAgentSet = keptCaps.get(userSet);
  if (!byAgentSet) {
    byAgentSet = new WeakMap();
    keptCaps.set(userSet, byAgentSet);
  }
  byAgentSet.set(agentSet, { config, user, agent: who.agent, caps });
  return caps;
}

/**
 * capsFor's answer when it needs no read and no new list: both scopes' stored caps fresh in the
 * ledger's memory and the list made from them kept. Otherwise undefined (then ask capsFor). A
 * model call takes this path nearly always: no promises, no awaits (docs/kernel.md, "Third round").
 * `scopes`: the user's and the agent's, as userScope and agentScope make them.
 */
export function keptCapsFor(
  config: AgentConfig,
  spend: { keptCaps(scope: string): Readonly<Record<string, number>> | undefined },
  who: { userId?: string | undefined; agent: string },
  scopes: readonly [string, string],
): readonly Cap[] | undefined {
  const userSet = spend.keptCaps(scopes[0]);
  if (!userSet) return undefined;
  const agentSet = spend.keptCaps(scopes[1]);
  if (!agentSet) return undefined;
  const kept = keptCaps.get(userSet)?.get(agentSet);
  const user = who.userId ?? LOCAL_USER;
  return kept && kept.config === config && kept.user === user && kept.agent === who.agent
    ? kept.caps
    : undefined;
}

/** capsFor's answers by the stored caps they were made from (a new read, a new answer). */
const keptCaps = new WeakMap<
  SetCaps,
  WeakMap<SetCaps, { config: AgentConfig; user: string; agent: string; caps: readonly Cap[] }>
>();

type Candidates = [number | undefined, string, CapOrigin][];
type SetCaps = Readonly<Partial<Record<CapKey, number>>>;

/** The first cap that is set: `oxydra budget set`'s, else the configuration's, in order. */
function firstCap(scope: string, key: CapKey, set: number | undefined, configured: Candidates): Cap[] {
  if (set !== undefined) return [{ scope, key, limit: set, source: 'oxydra budget set', origin: 'explicit' }];
  for (const [limit, source, origin] of configured)
    if (limit !== undefined) return [{ scope, key, limit, source, origin }];
  return [];
}

/** `set`: the caps `oxydra budget set` stored (a change's preview passes the changed ones). */
export function userCaps(config: AgentConfig, user: string, set: SetCaps): Cap[] {
  const { budgets } = config;
  const scope = userScope(user);
  const own = Object.hasOwn(budgets.users, user) ? budgets.users[user] : undefined;
  return [
    ...firstCap(scope, 'daily_usd', set.daily_usd, [
      [own?.daily_usd, `budgets.users.${user}.daily_usd`, 'explicit'],
      [budgets.user_daily_usd, 'budgets.user_daily_usd', 'default'],
    ]),
    ...firstCap(scope, 'monthly_usd', set.monthly_usd, [
      [own?.monthly_usd, `budgets.users.${user}.monthly_usd`, 'explicit'],
      [budgets.user_monthly_usd, 'budgets.user_monthly_usd', 'default'],
    ]),
  ];
}

export function agentCaps(config: AgentConfig, agent: string, set: SetCaps): Cap[] {
  const { budgets } = config;
  const scope = agentScope(agent);
  const own = Object.hasOwn(budgets.agents, agent) ? budgets.agents[agent] : undefined;
  const key = `budgets.agents.${agent}`;
  return [
    ...firstCap(scope, 'daily_usd', set.daily_usd, [
      [own?.daily_usd, `${key}.daily_usd`, 'explicit'],
      [budgets.agent_daily_usd, 'budgets.agent_daily_usd', 'default'],
    ]),
    ...firstCap(scope, 'monthly_usd', set.monthly_usd, [
      [own?.monthly_usd, `${key}.monthly_usd`, 'explicit'],
      [budgets.agent_monthly_usd, 'budgets.agent_monthly_usd', 'default'],
    ]),
    ...firstCap(scope, 'tokens_per_window', set.tokens_per_window, [
      [own?.tokens_per_window, `${key}.tokens_per_window`, 'explicit'],
    ]),
    ...firstCap(scope, 'calls_per_window', set.calls_per_window, [
      [own?.calls_per_window, `${key}.calls_per_window`, 'explicit'],
    ]),
  ];
}

export function targetScope(target: BudgetTarget): string {
  return 'user' in target ? userScope(target.user) : agentScope(target.agent);
}

/** Every cap in force for a user or an agent. */
function targetCaps(config: AgentConfig, target: BudgetTarget, set: SetCaps): Cap[] {
  return 'user' in target ? userCaps(config, target.user, set) : agentCaps(config, target.agent, set);
}

/** What a cap change does: the cap in force before and after it (undefined: none). */
export interface CapChangeEffect {
  before?: Cap;
  after?: Cap;
  /** After is higher than before, or there is no cap any more: lifts a limit. */
  raises: boolean;
  /** Nothing changes (removing a cap `oxydra budget set` never set, setting the same value). */
  noop: boolean;
}

/**
 * The effect of `oxydra budget set` setting (a number) or removing (undefined) one cap of a
 * target, measured on the cap in force: a default counts like any cap, and no cap at all is
 * higher than every cap. Asked by the two-person rule (admin-approvals.ts) before the change.
 */
export async function capChange(
  config: AgentConfig,
  spend: SpendStore,
  target: BudgetTarget,
  key: CapKey,
  value: number | undefined,
): Promise<CapChangeEffect> {
  const stored = await storedCaps(spend, targetScope(target));
  const { [key]: _previous, ...others } = stored;
  const before = targetCaps(config, target, stored).find((cap) => cap.key === key);
  const after = targetCaps(config, target, value === undefined ? others : { ...others, [key]: value }).find(
    (cap) => cap.key === key,
  );
  const raises = before !== undefined && (after === undefined || after.limit > before.limit);
  const noop = value === undefined ? stored[key] === undefined : stored[key] === value;
  return { ...(before ? { before } : {}), ...(after ? { after } : {}), raises, noop };
}
