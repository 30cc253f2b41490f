/**
 * The spending ledger (Oxios's BudgetManager, persisted): before a model call the kernel
 * reserves its expected cost against every cap that applies, in one write transaction that
 * reads what is spent and what other calls (in any process) have reserved, so two concurrent
 * runs of one user cannot together pass a cap; after the call the reservation is settled
 * with what the call really cost. Spend is kept per scope and period in `.oxydra/kernel.db`,
 * so caps survive restarts. A reservation held by a process that died expires.
 */
import { randomUUID } from 'node:crypto';
import { costLimitVerdict, formatUsd } from '@oxydra/runtime';
import {
  BudgetExceeded,
  type CapsNews,
  type ControlStoreGroup,
  type ControlStores,
  type SpendStore,
  type SpendTotals,
  type SpendUsed,
} from '@oxydra/types';
import type { KernelDb } from '../../store/kernel-db.js';
import { asyncControlStores } from '../../store/libsql/async-view.js';
import { ControlBatch } from '../control-batch.js';
import {
  type Cap,
  type CapKey,
  describeReset,
  PERIOD_OF,
  type Period,
  type PeriodKind,
  periodOf,
} from './caps.js';

/** A reservation outlives no model call: turn_timeout is at most this in practice. */
const RESERVATION_TTL_MS = 15 * 60_000;
/** A settle whose commit failed is tried with this many commits before it is given up (warned). */
const SETTLE_ATTEMPTS = 3;

export interface Reservation {
  id: string;
  usd: number;
  /** The (scope, period) pairs it holds and charges. */
  targets: { scope: string; period: string }[];
}

export type SpendRow = SpendTotals;

const CAP_WORDS: Record<CapKey, string> = {
  daily_usd: 'daily spending cap',
  monthly_usd: 'monthly spending cap',
  tokens_per_window: 'token budget',
  calls_per_window: 'model-call budget',
};

/** Settles and releases waiting for the tick's commit, summed per scope and period. */
interface PendingSettles {
  releases: string[];
  spend: Map<string, SpendRow>;
  records: AlsoRecord[];
  queued: boolean;
  /** Commits of these that failed so far. */
  failures: number;
}

/** What a settle also writes in its transaction (the usage log's rows). */
export type AlsoRecord = (stores: ControlStores) => Promise<void> | void;

export class SpendingLedger {
  readonly #store: SpendStore;
  readonly #batch: ControlBatch;
  /** The caps, kept between the changes the store tells of (CapsMemory, below, says how fresh). */
  readonly #caps = new CapsMemory();
  /** Stops following the store's cap changes (close). */
  readonly #stopFollowing: () => void;

  constructor(
    db: KernelDb,
    private readonly options: {
      windowSecs: number;
      now?: () => number;
      /** Where spend is kept; default: the kernel database's control stores. */
      stores?: ControlStoreGroup;
    },
  ) {
    const stores = options.stores ?? asyncControlStores(db);
    this.#store = stores.spend;
    this.#batch = ControlBatch.of(stores);
    // Followed until the ledger closes: a store may outlive the kernel that opened the ledger
    // (a PostgreSQL pool shared by several), and its listener must not pile up there.
    this.#stopFollowing = this.#caps.follow(this.#store);
  }

  /**
   * Stops following the store's cap changes (the ledger then reads caps at every call) and
   * commits the settles still queued: the kernel closes its database next, and a commit after
   * that is lost (rejects when the commit failed).
   */
  async close(): Promise<void> {
    this.#stopFollowing();
    await this.#batch.flush();
  }

  now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /**
   * The period each kind counts in, kept until it ends: every model call asks for three, and a
   * period changes once a day, a month or a window (a fresh one costs two Dates and a string).
   */
  readonly #periods = new Map<PeriodKind, Period>();

  period(key: CapKey, now = this.now()): Period {
    const kind = PERIOD_OF[key];
    const kept = this.#periods.get(kind);
    if (kept && now >= kept.startsAt && now < kept.endsAt) return kept;
    // Frozen: one object handed to every caller until the period ends.
    const period = Object.freeze(periodOf(kind, now, this.options.windowSecs));
    this.#periods.set(kind, period);
    return period;
  }

  /** A reservation holding nothing that charges `scopes` (a call made without caps). */
  charged(scopes: readonly string[]): Reservation {
    return { id: '', usd: 0, targets: this.#targets(scopes, this.now(), false) };
  }

  /**
   * Reserves `amount` dollars (and one call) for a model call against `caps`; throws
   * BudgetExceeded naming the first cap it would pass. `scopes` are charged even without caps.
   */
  async reserve(caps: readonly Cap[], scopes: readonly string[], amount: number): Promise<Reservation> {
    const now = this.now();
    const windowed = caps.some((cap) => PERIOD_OF[cap.key] === 'window');
    const targets = this.#targets(scopes, now, windowed);
    // Without caps nothing needs holding: the call is only recorded when it is settled.
    if (caps.length === 0) return { id: '', usd: 0, targets };
    const id = randomUUID();
    const counted = caps.map((cap) => ({ scope: cap.scope, period: this.period(cap.key, now).key }));
    // What this process settled is committed first: the reservation reads it.
    if (this.#pending.queued || this.#writing) await this.#batch.flush();
    // One atomic step of the store (it takes its write lock before the first read).
    await this.#store.reserve(
      { id, usd: amount, targets, expiresAt: now + RESERVATION_TTL_MS },
      now,
      counted,
      (used) => {
        for (const [index, cap] of caps.entries()) this.#check(cap, amount, now, used[index]!);
      },
    );
    return { id, usd: amount, targets };
  }

  /**
   * Replaces a reservation with what the call cost (unknown cost: the reserved amount stays
   * spent). `alsoRecord` runs in the same transaction (the usage log's row). The settles of one
   * tick commit together with the tick's audit entries (control-batch.ts), before a reservation
   * of this process (it sees them); another process sees them a tick later.
   */
  settle(
    reservation: Reservation,
    spent: { usd: number | undefined; tokens: number },
    alsoRecord?: AlsoRecord,
  ): void {
    const usd = spent.usd ?? reservation.usd;
    const pending = this.#pending;
    if (reservation.id !== '') pending.releases.push(reservation.id);
    // Summed per scope and period: the settles of a tick write one row each, not one per call.
    for (const target of reservation.targets) {
      const key = `${target.scope}\0${target.period}`;
      const sum = pending.spend.get(key);
      if (sum) {
        sum.usd += usd;
        sum.tokens += spent.tokens;
        sum.calls += 1;
      } else pending.spend.set(key, { ...target, usd, tokens: spent.tokens, calls: 1 });
    }
    if (alsoRecord) pending.records.push(alsoRecord);
    this.#enqueue();
  }

  #enqueue(): void {
    if (this.#pending.queued) return;
    this.#pending.queued = true;
    this.#batch.add(this.#job);
  }

  #pending: PendingSettles = { releases: [], spend: new Map(), records: [], queued: false, failures: 0 };

  /** What one commit writes, taken when it starts (settles made meanwhile wait for the next). */
  #writing: PendingSettles | undefined;

  readonly #job = {
    write: async (stores: ControlStores) => {
      const taken = this.#pending;
      this.#pending = {
        releases: [],
        spend: new Map(),
        records: [],
        queued: false,
        failures: taken.failures,
      };
      this.#writing = taken;
      await stores.spend.settle(taken.releases, [...taken.spend.values()]);
      // The usage log's rows are entered once: a retried settle does not enter them again.
      const records = taken.records;
      taken.records = [];
      for (const record of records) await record(stores);
    },
    done: (error: unknown) => {
      const taken = this.#writing;
      this.#writing = undefined;
      if (error === undefined) {
        this.#pending.failures = 0;
        return;
      }
      // Rolled back (the store busy past its timeout): kept for the next commits, then dropped.
      if (!taken || taken.failures + 1 >= SETTLE_ATTEMPTS) {
        this.#pending.failures = 0;
        if (this.#pending.releases.length > 0 || this.#pending.spend.size > 0) this.#enqueue();
        return;
      }
      const pending = this.#pending;
      const spend = new Map(taken.spend);
      for (const [key, row] of pending.spend) {
        const sum = spend.get(key);
        if (sum) {
          sum.usd += row.usd;
          sum.tokens += row.tokens;
          sum.calls += row.calls;
        } else spend.set(key, row);
      }
      this.#pending = {
        releases: [...taken.releases, ...pending.releases],
        spend,
        records: [...taken.records, ...pending.records],
        queued: pending.queued,
        failures: taken.failures + 1,
      };
      this.#enqueue();
    },
  };

  /**
   * A call that never happened (or failed without usage): its reservation is returned whole,
   * with the tick's commit (a reservation of this process commits it first).
   */
  release(reservation: Reservation): void {
    if (reservation.id === '') return;
    this.#pending.releases.push(reservation.id);
    this.#enqueue();
  }

  /** The period keys a cap counts in now: day, month and the window (budget show, reset). */
  #currentPeriods(now: number): string[] {
    return (['daily_usd', 'monthly_usd', 'calls_per_window'] as const).map(
      (key) => this.period(key, now).key,
    );
  }

  /** Spend in the current periods, per scope (all scopes, or those starting with `prefix`). */
  async current(scopePrefix = ''): Promise<SpendRow[]> {
    await this.#batch.flush();
    return this.#store.totals(this.#currentPeriods(this.now()), scopePrefix);
  }

  /** Forgets the current periods' spend of a scope (in `store`: a transaction's); returns the rows removed. */
  reset(scope: string, store: SpendStore = this.#store): Promise<number> {
    return store.reset(scope, this.#currentPeriods(this.now()));
  }

  /** Scopes with a cap set by `oxydra budget set`. */
  scopesWithCaps(): Promise<string[]> {
    return this.#store.scopesWithCaps();
  }

  /** Sets a cap (`oxydra budget set`), or with undefined removes it. */
  setCap(scope: string, key: CapKey, value: number | undefined): Promise<void> {
    return this.#store.setCap(scope, key, value);
  }

  /**
   * The caps `oxydra budget set` stored for `scope`, from memory while fresh: for model calls and
   * reports, never inside a transaction (that reads `tx.spend.caps`).
   */
  caps(scope: string): Promise<Readonly<StoredCaps>> {
    return this.#caps.get(scope, () => this.#store.caps(scope));
  }

  /** `scope`'s caps if memory holds them fresh (what caps() would answer without reading), else undefined. */
  keptCaps(scope: string): Readonly<StoredCaps> | undefined {
    return this.#caps.kept(scope);
  }

  /** Spent plus reserved by others, for one cap now. */
  async used(cap: Cap, now = this.now()): Promise<{ spent: number; reserved: number; period: Period }> {
    await this.#batch.flush();
    const period = this.period(cap.key, now);
    return {
      ...measured(cap, await this.#store.used({ scope: cap.scope, period: period.key }, now)),
      period,
    };
  }

  #check(cap: Cap, amount: number, now: number, used: SpendUsed): void {
    const { spent, reserved } = measured(cap, used);
    const period = this.period(cap.key, now);
    const next = cap.key === 'calls_per_window' ? 1 : cap.key === 'tokens_per_window' ? 0 : amount;
    // A token budget is over once reached (a call's tokens are not known before it); the others
    // when this call would pass them, as every dollar limit is decided (costLimitVerdict).
    const over =
      cap.key === 'tokens_per_window'
        ? spent >= cap.limit
        : costLimitVerdict(cap.limit, { usd: spent, reserved }, next) === 'over';
    if (!over) return;
    const money = cap.key === 'daily_usd' || cap.key === 'monthly_usd';
    const shown = (value: number) => (money ? formatUsd(value) : String(value));
    const inFlight = reserved > 0 ? ` (${shown(reserved)} more reserved by calls in progress)` : '';
    const needs = money && next > 0 ? `; this call needs about ${formatUsd(next)}` : '';
    const kind = money ? 'cost' : cap.key === 'tokens_per_window' ? 'tokens' : 'turns';
    throw new BudgetExceeded(
      kind,
      cap.limit,
      spent,
      `${CAP_WORDS[cap.key]} reached for ${cap.scope.replace(':', ' ')}: ${shown(spent)} of ${shown(cap.limit)} used${inFlight}${needs}; ` +
        `it resets ${describeReset(period.endsAt, now)} (cap from ${cap.source}; change it with \`oxydra budget set\`)`,
    );
  }

  /** Day and month always (budget show), the window only when a window cap counts it. */
  #targets(scopes: readonly string[], now: number, windowed: boolean): { scope: string; period: string }[] {
    const periods = [this.period('daily_usd', now), this.period('monthly_usd', now)];
    if (windowed) periods.push(this.period('calls_per_window', now));
    // Loops rather than flatMap over map (an array per scope, then the flattened copy): every
    // model call makes these. The same targets in the same order.
    const targets: { scope: string; period: string }[] = [];
    for (const scope of scopes) for (const period of periods) targets.push({ scope, period: period.key });
    return targets;
  }
}

/** What a cap counts of a (scope, period)'s use: dollars, calls or tokens, and what is held. */
function measured(cap: Cap, used: SpendUsed): { spent: number; reserved: number } {
  if (cap.key === 'calls_per_window') return { spent: used.calls, reserved: used.reservedCalls };
  if (cap.key === 'tokens_per_window') return { spent: used.tokens, reserved: 0 };
  return { spent: used.usd, reserved: used.reservedUsd };
}

/**
 * The caps `oxydra budget set` stored, kept in the process between the changes its spend store
 * tells of (SpendStore.watchCaps): every model call asks for two scopes' caps, one read each
 * otherwise. The one home of this rule for every backend: the PostgreSQL store tells of changes
 * through its event bus (NOTIFY, sent when a change commits, from any process), the libSQL store
 * through the file's data_version (store/libsql/ledgers.ts); a store that tells nothing has its
 * caps read at each call.
 *
 * When a kept value may be stale, and for how long:
 * - A change another process commits: until the store tells of it (PostgreSQL: milliseconds;
 *   libSQL: its poll). A read in flight when any news arrives is not kept (the version moved).
 * - A store that does not listen (no bus, or its connection lost, until it listens again):
 *   nothing is kept, every call reads. What was kept before it went deaf is dropped then.
 * - A store that listens but missed a change (a connection gone silent, not noticed until the
 *   bus's heartbeat fails; a cap written by other means, `oxydra store copy`): a value is kept at
 *   most CAPS_MAX_AGE_MS after its read began.
 *
 * Reads inside a transaction never come here: they go to the transaction's own store (`tx.spend`,
 * budget-calls.ts), so a cap change decides on the cap in force there, never a value kept.
 */
/** The most a kept value is trusted, from when its read began. */
export const CAPS_MAX_AGE_MS = 5000;

export type StoredCaps = Record<string, number>;

export class CapsMemory {
  readonly #entries = new Map<string, { caps: Readonly<StoredCaps>; at: number }>();
  /** Moved by every news: a read across it is not kept. */
  #version = 0;
  /** The watches whose store listens now (usually one). */
  readonly #listening = new Set<object>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Keeps values while `store` listens (if it can tell of changes); returns what stops it. */
  follow(store: Pick<SpendStore, 'watchCaps'>): () => void {
    if (!store.watchCaps) return () => {};
    const key = {};
    const stop = store.watchCaps((news: CapsNews) => {
      if (news === 'listening') this.#listening.add(key);
      else if (news === 'deaf') this.#listening.delete(key);
      this.#forget();
    });
    return () => {
      stop();
      this.#listening.delete(key);
      this.#forget();
    };
  }

  /**
   * `scope`'s caps: kept ones while fresh, else `read`'s answer (kept if nothing moved meanwhile).
   * Frozen and handed out as they are, not copied: every model call asks, and the same object
   * while nothing changed lets capsFor keep its answer too (caps.ts).
   */
  get(scope: string, read: () => Promise<StoredCaps>): Promise<Readonly<StoredCaps>> {
    const started = this.#now();
    const kept = this.#fresh(scope, started);
    // Not an async function: a kept answer (nearly every call) costs one resolved promise.
    if (kept) return Promise.resolve(kept);
    return this.#read(scope, read, started);
  }

  /** What get() would answer from memory now, without reading; undefined when it would read. */
  kept(scope: string): Readonly<StoredCaps> | undefined {
    return this.#fresh(scope, this.#now());
  }

  #fresh(scope: string, now: number): Readonly<StoredCaps> | undefined {
    const kept = this.#entries.get(scope);
    return kept && this.#listening.size > 0 && now - kept.at < CAPS_MAX_AGE_MS ? kept.caps : undefined;
  }

  async #read(
    scope: string,
    read: () => Promise<StoredCaps>,
    started: number,
  ): Promise<Readonly<StoredCaps>> {
    const version = this.#version;
    const caps = Object.freeze({ ...(await read()) });
    if (this.#listening.size > 0 && version === this.#version) {
      this.#entries.set(scope, { caps, at: started });
    }
    return caps;
  }

  #forget(): void {
    this.#version++;
    this.#entries.clear();
  }
}
