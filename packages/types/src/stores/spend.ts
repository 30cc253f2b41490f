/**
 * Spending against budget caps as a store contract: spend totals per scope ("user:alice",
 * "agent:researcher") and period ("day:2026-11-25", "month:2026-11", "window:3600:493912"),
 * reservations held by model calls in progress, and the caps set with `oxydra budget set`.
 * Whether a call may go on is the service's rule (packages/kernel/src/services/budgets/): the
 * store makes it atomic. `reserve` reads what is spent and reserved and calls `admit` with it in
 * the same transaction as the reservation's insert, so two processes cannot together pass a cap
 * (PostgreSQL locks the scopes' rows, or takes an advisory lock per scope, for it). The kernel
 * database is the embedded default (packages/kernel/src/store/libsql/ledgers.ts).
 */
import type { StoreAnswer, StoreMode } from './answer.js';

/** A (scope, period) pair a reservation holds and a settle charges. */
export interface SpendTarget {
  scope: string;
  period: string;
}

export interface SpendTotals extends SpendTarget {
  usd: number;
  tokens: number;
  calls: number;
}

/** What one (scope, period) has used: settled spend, and what reservations still hold. */
export interface SpendUsed {
  usd: number;
  tokens: number;
  calls: number;
  /** Dollars held by unexpired reservations. */
  reservedUsd: number;
  /** Unexpired reservations (each a call in progress). */
  reservedCalls: number;
}

export interface NewReservation {
  id: string;
  usd: number;
  targets: readonly SpendTarget[];
  /** ms since the epoch; a reservation held by a process that died stops counting then. */
  expiresAt: number;
}

/**
 * What a spend store tells a watcher of its caps (SpendStore.watchCaps):
 * - 'listening': from now on every cap change that commits, in any process, will be told;
 * - 'deaf': from now on one may go untold (the store's link to other processes is down);
 * - 'changed': caps may have changed (a change committed somewhere, or one made through this
 *   store is under way: told when it starts and when it ends, committed or not).
 */
export type CapsNews = 'listening' | 'deaf' | 'changed';

export interface SpendStore<M extends StoreMode = 'async'> {
  /**
   * One atomic step: forgets reservations expired at `now`, reads what each of `counted` has
   * used, calls `admit` with those (in order), and, unless admit throws (then nothing changes
   * and the error reaches the caller), stores the reservation on each of its targets.
   */
  reserve(
    reservation: NewReservation,
    now: number,
    counted: readonly SpendTarget[],
    admit: (used: SpendUsed[]) => void,
  ): StoreAnswer<void, M>;
  /** Returns a reservation whole (the call never happened). */
  release(id: string): StoreAnswer<void, M>;
  /** One atomic step: removes the reservations `released` and adds `spend` to the totals. */
  settle(released: readonly string[], spend: readonly SpendTotals[]): StoreAnswer<void, M>;
  /** What (scope, period) has used at `now` (expired reservations do not count). */
  used(target: SpendTarget, now: number): StoreAnswer<SpendUsed, M>;
  /** Totals in any of `periods` of scopes starting with `scopePrefix`, by scope then period (bytewise). */
  totals(periods: readonly string[], scopePrefix: string): StoreAnswer<SpendTotals[], M>;
  /** Forgets the totals of `scope` in `periods`; resolves to how many (scope, period) rows went. */
  reset(scope: string, periods: readonly string[]): StoreAnswer<number, M>;
  /** The caps set for `scope`, by key ("daily_usd", ...). */
  caps(scope: string): StoreAnswer<Record<string, number>, M>;
  /** Sets a cap, or with undefined removes it. */
  setCap(scope: string, key: string, value: number | undefined): StoreAnswer<void, M>;
  /** Scopes that have a cap set. */
  scopesWithCaps(): StoreAnswer<string[], M>;
  /**
   * Optional: tells `listener` of cap changes (CapsNews), so the kernel may keep caps in memory
   * between them (services/budgets/spending.ts's CapsMemory); a store without it has its caps read at each
   * call. Tells 'listening' at once if it listens already. A rolled-back change is never told as
   * committed, but its own 'changed' news at start and end may be. Returns what stops it.
   */
  watchCaps?(listener: (news: CapsNews) => void): () => void;
}
