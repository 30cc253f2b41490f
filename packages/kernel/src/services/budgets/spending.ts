/**
 * The spending ledger (Oxios's BudgetManager, persisted): before a model call the kernel
 * reserves its expected cost against every cap that applies, in one write transaction that
 * reads what is spent and what other calls (in any process) have reserved, so two concurrent
 * runs of one user cannot together pass a cap; after the call the reservation is settled
 * with what the call really cost. Spend is kept per scope and period in `.oxydra/kernel.db`,
 * so caps survive restarts. A reservation held by a process that died expires.
 */
import { randomUUID } from 'node:crypto';
import { BudgetExceeded } from '@oxydra/types';
import { type KernelDb, type KernelStatement, writeTransaction } from '../../store/kernel-db.js';
import { WriteBatch } from '../../store/write-batch.js';
import { type Cap, type CapKey, forgetCaps, PERIOD_OF } from './caps.js';
import { describeReset, type Period, periodOf } from './periods.js';

/** A reservation outlives no model call: turn_timeout is at most this in practice. */
export const RESERVATION_TTL_MS = 15 * 60_000;
/** A settle whose commit failed is tried with this many commits before it is given up (warned). */
const SETTLE_ATTEMPTS = 3;

export interface Reservation {
  id: string;
  usd: number;
  /** The (scope, period) pairs it holds and charges. */
  targets: { scope: string; period: string }[];
}

export interface SpendRow {
  scope: string;
  period: string;
  usd: number;
  tokens: number;
  calls: number;
}

const usd = (amount: number) => `$${amount.toFixed(amount < 0.01 && amount > 0 ? 6 : 4)}`;
const CAP_WORDS: Record<CapKey, string> = {
  daily_usd: 'daily spending cap',
  monthly_usd: 'monthly spending cap',
  tokens_per_window: 'token budget',
  calls_per_window: 'model-call budget',
};

export class SpendingLedger {
  constructor(
    private readonly db: KernelDb,
    private readonly options: { windowSecs: number; now?: () => number },
  ) {}

  now(): number {
    return this.options.now?.() ?? Date.now();
  }

  period(key: CapKey, now = this.now()): Period {
    return periodOf(PERIOD_OF[key], now, this.options.windowSecs);
  }

  /**
   * Reserves `amount` dollars (and one call) for a model call against `caps`; throws
   * BudgetExceeded naming the first cap it would pass. `scopes` are charged even without caps.
   */
  reserve(caps: readonly Cap[], scopes: readonly string[], amount: number): Reservation {
    const now = this.now();
    const windowed = caps.some((cap) => PERIOD_OF[cap.key] === 'window');
    const targets = this.#targets(scopes, now, windowed);
    // Without caps nothing needs holding: the call is only recorded when it is settled.
    if (caps.length === 0) return { id: '', usd: 0, targets };
    return writeTransaction(this.db, () => {
      this.db.prepare('DELETE FROM budget_reservations WHERE expires_at <= ?').run(now);
      for (const cap of caps) this.#check(cap, amount, now);
      const id = randomUUID();
      const insert = this.db.prepare(
        'INSERT INTO budget_reservations (id, scope, period, usd, expires_at) VALUES (?, ?, ?, ?, ?)',
      );
      for (const target of targets)
        insert.run(id, target.scope, target.period, amount, now + RESERVATION_TTL_MS);
      return { id, usd: amount, targets };
    });
  }

  /**
   * Replaces a reservation with what the call cost (unknown cost: the reserved amount stays
   * spent). `alsoRecord` runs in the same transaction (the usage log's row). The settles of one
   * tick commit together (store/write-batch.ts), before any other write of this process (a
   * reservation sees them); another process sees them a tick later.
   */
  settle(
    reservation: Reservation,
    spent: { usd: number | undefined; tokens: number },
    alsoRecord?: () => void,
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
    if (!pending.queued) {
      pending.queued = true;
      WriteBatch.of(this.db).add(this.#job);
    }
  }

  readonly #pending = {
    releases: [] as string[],
    spend: new Map<string, SpendRow>(),
    records: [] as (() => void)[],
    queued: false,
    failures: 0,
  };

  readonly #job = {
    write: () => {
      this.#settle ??= this.db.prepare(
        `INSERT INTO budget_spend (scope, period, usd, tokens, calls) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (scope, period) DO UPDATE SET usd = usd + excluded.usd, tokens = tokens + excluded.tokens, calls = calls + excluded.calls`,
      );
      this.#release ??= this.db.prepare('DELETE FROM budget_reservations WHERE id = ?');
      const { releases, spend, records } = this.#pending;
      for (const id of releases) this.#release.run(id);
      for (const row of spend.values())
        this.#settle.run(row.scope, row.period, row.usd, row.tokens, row.calls);
      // The usage log's rows are entered once: a retried settle does not enter them again.
      this.#pending.records = [];
      for (const record of records) record();
    },
    done: (error: unknown) => {
      const pending = this.#pending;
      pending.queued = false;
      // Rolled back (the database busy past its timeout): kept for the next commits, then dropped.
      if (error !== undefined && ++pending.failures < SETTLE_ATTEMPTS) {
        pending.queued = true;
        WriteBatch.of(this.db).add(this.#job);
        return;
      }
      pending.failures = 0;
      pending.releases = [];
      pending.spend = new Map();
      pending.records = [];
    },
  };

  #settle: KernelStatement | undefined;
  #release: KernelStatement | undefined;

  /** A call that never happened (or failed without usage): its reservation is returned whole. */
  release(reservation: Reservation): void {
    if (reservation.id === '') return;
    this.#release ??= this.db.prepare('DELETE FROM budget_reservations WHERE id = ?');
    this.#release.run(reservation.id);
  }

  /** Spend in the current periods, per scope (all scopes, or those starting with `prefix`). */
  current(scopePrefix = ''): SpendRow[] {
    WriteBatch.of(this.db).flush();
    const now = this.now();
    const periods = (['daily_usd', 'monthly_usd', 'calls_per_window'] as const).map(
      (key) => this.period(key, now).key,
    );
    return this.db
      .prepare(
        `SELECT scope, period, usd, tokens, calls FROM budget_spend
         WHERE period IN (?, ?, ?) AND substr(scope, 1, ?) = ? ORDER BY scope, period`,
      )
      .all(...periods, scopePrefix.length, scopePrefix) as SpendRow[];
  }

  /** Forgets the current periods' spend of a scope; returns the rows removed. */
  reset(scope: string): number {
    const now = this.now();
    const periods = (['daily_usd', 'monthly_usd', 'calls_per_window'] as const).map(
      (key) => this.period(key, now).key,
    );
    return Number(
      this.db
        .prepare('DELETE FROM budget_spend WHERE scope = ? AND period IN (?, ?, ?)')
        .run(scope, ...periods).changes,
    );
  }

  /** Scopes with a cap set by `oxydra budget set`. */
  scopesWithCaps(): string[] {
    return (this.db.prepare('SELECT DISTINCT scope FROM budget_limits').raw(true).all() as [string][]).map(
      (row) => row[0],
    );
  }

  setCap(scope: string, key: CapKey, value: number | undefined): void {
    forgetCaps(this.db);
    if (value === undefined)
      this.db.prepare('DELETE FROM budget_limits WHERE scope = ? AND key = ?').run(scope, key);
    else
      this.db
        .prepare(
          'INSERT INTO budget_limits (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value',
        )
        .run(scope, key, value);
  }

  /** Spent plus reserved by others, for one cap now. */
  used(cap: Cap, now = this.now()): { spent: number; reserved: number; period: Period } {
    if (!this.db.inTransaction) WriteBatch.of(this.db).flush();
    const period = this.period(cap.key, now);
    const row = this.db
      .prepare('SELECT usd, tokens, calls FROM budget_spend WHERE scope = ? AND period = ?')
      .raw(true)
      .get(cap.scope, period.key) as [number, number, number] | undefined;
    const held = this.db
      .prepare(
        'SELECT COALESCE(SUM(usd), 0), COUNT(*) FROM budget_reservations WHERE scope = ? AND period = ? AND expires_at > ?',
      )
      .raw(true)
      .get(cap.scope, period.key, now) as [number, number];
    if (cap.key === 'calls_per_window') return { spent: row?.[2] ?? 0, reserved: held[1], period };
    if (cap.key === 'tokens_per_window') return { spent: row?.[1] ?? 0, reserved: 0, period };
    return { spent: row?.[0] ?? 0, reserved: held[0], period };
  }

  #check(cap: Cap, amount: number, now: number): void {
    const { spent, reserved, period } = this.used(cap, now);
    const next = cap.key === 'calls_per_window' ? 1 : cap.key === 'tokens_per_window' ? 0 : amount;
    const over = cap.key === 'tokens_per_window' ? spent >= cap.limit : spent + reserved + next > cap.limit;
    if (!over) return;
    const money = cap.key === 'daily_usd' || cap.key === 'monthly_usd';
    const shown = (value: number) => (money ? usd(value) : String(value));
    const inFlight = reserved > 0 ? ` (${shown(reserved)} more reserved by calls in progress)` : '';
    const needs = money && next > 0 ? `; this call needs about ${usd(next)}` : '';
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
    return scopes.flatMap((scope) => periods.map((period) => ({ scope, period: period.key })));
  }
}
