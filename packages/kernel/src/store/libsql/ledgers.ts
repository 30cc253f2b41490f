/**
 * The libSQL SpendStore over the kernel database's budget_spend, budget_reservations and
 * budget_limits tables (the embedded default of the contract in @oxydra/types). A reservation
 * reads and inserts under the database's write lock (BEGIN IMMEDIATE, or the transaction open on
 * the connection), so two processes cannot together pass a cap. Statements are prepared once:
 * reserve, settle and caps are on the path of every model call.
 */
import type {
  CapsNews,
  NewReservation,
  SpendStore,
  SpendTarget,
  SpendTotals,
  SpendUsed,
} from '@oxydra/types';
import { atomically, type KernelDb } from '../kernel-db.js';

/**
 * Caps are asked before every model call, and the kernel keeps them between the changes this
 * store tells of (services/budgets/caps-memory.ts; reading them was 8% of a turn). Its own
 * setCap is told at once; a commit by another connection (the CLI while a gateway runs) moves
 * SQLite's data_version, looked at every CAPS_FRESH_MS while someone watches. A rollback on this
 * connection moves nothing, and needs not: the kernel reads through the async group, where a read
 * waits for the transaction holding the connection (async-view.ts), so it never sees, and never
 * keeps, a change that is rolled back.
 */
export const CAPS_FRESH_MS = 250;

export class LibsqlSpendStore implements SpendStore<'sync'> {
  readonly #db: KernelDb;
  readonly #sql;
  readonly #watchers = new Set<(news: CapsNews) => void>();
  #poll: ReturnType<typeof setInterval> | undefined;

  constructor(db: KernelDb) {
    this.#db = db;
    const raw = (sql: string) => db.prepare(sql).raw(true);
    this.#sql = {
      expire: db.prepare('DELETE FROM budget_reservations WHERE expires_at <= ?'),
      hold: db.prepare(
        'INSERT INTO budget_reservations (id, scope, period, usd, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      release: db.prepare('DELETE FROM budget_reservations WHERE id = ?'),
      add: db.prepare(
        `INSERT INTO budget_spend (scope, period, usd, tokens, calls) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (scope, period) DO UPDATE SET usd = usd + excluded.usd, tokens = tokens + excluded.tokens, calls = calls + excluded.calls`,
      ),
      spent: raw('SELECT usd, tokens, calls FROM budget_spend WHERE scope = ? AND period = ?'),
      held: raw(
        'SELECT COALESCE(SUM(usd), 0), COUNT(*) FROM budget_reservations WHERE scope = ? AND period = ? AND expires_at > ?',
      ),
      caps: raw('SELECT key, value FROM budget_limits WHERE scope = ?'),
      dataVersion: raw('PRAGMA data_version'),
      setCap: db.prepare(
        'INSERT INTO budget_limits (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value',
      ),
      unsetCap: db.prepare('DELETE FROM budget_limits WHERE scope = ? AND key = ?'),
      capped: raw('SELECT DISTINCT scope FROM budget_limits ORDER BY scope'),
    };
  }

  reserve(
    reservation: NewReservation,
    now: number,
    counted: readonly SpendTarget[],
    admit: (used: SpendUsed[]) => void,
  ): void {
    atomically(this.#db, () => {
      this.#sql.expire.run(now);
      admit(counted.map((target) => this.used(target, now)));
      for (const { scope, period } of reservation.targets) {
        this.#sql.hold.run(reservation.id, scope, period, reservation.usd, reservation.expiresAt);
      }
    });
  }

  release(id: string): void {
    this.#sql.release.run(id);
  }

  settle(released: readonly string[], spend: readonly SpendTotals[]): void {
    atomically(this.#db, () => {
      for (const id of released) this.#sql.release.run(id);
      for (const row of spend) this.#sql.add.run(row.scope, row.period, row.usd, row.tokens, row.calls);
    });
  }

  used({ scope, period }: SpendTarget, now: number): SpendUsed {
    const row = this.#sql.spent.get(scope, period) as [number, number, number] | undefined;
    const [reservedUsd, reservedCalls] = this.#sql.held.get(scope, period, now) as [number, number];
    return {
      usd: row?.[0] ?? 0,
      tokens: Number(row?.[1] ?? 0),
      calls: Number(row?.[2] ?? 0),
      reservedUsd,
      reservedCalls: Number(reservedCalls),
    };
  }

  totals(periods: readonly string[], scopePrefix: string): SpendTotals[] {
    if (periods.length === 0) return [];
    const marks = periods.map(() => '?').join(', ');
    return (
      this.#db
        .prepare(
          `SELECT scope, period, usd, tokens, calls FROM budget_spend
           WHERE period IN (${marks}) AND substr(scope, 1, ?) = ? ORDER BY scope, period`,
        )
        .all(...periods, scopePrefix.length, scopePrefix) as SpendTotals[]
    ).map((row) => ({ ...row, tokens: Number(row.tokens), calls: Number(row.calls) }));
  }

  reset(scope: string, periods: readonly string[]): number {
    if (periods.length === 0) return 0;
    const marks = periods.map(() => '?').join(', ');
    const sql = `DELETE FROM budget_spend WHERE scope = ? AND period IN (${marks})`;
    return Number(this.#db.prepare(sql).run(scope, ...periods).changes);
  }

  caps(scope: string): Record<string, number> {
    return Object.fromEntries(this.#sql.caps.all(scope) as [string, number][]);
  }

  setCap(scope: string, key: string, value: number | undefined): void {
    this.#tell('changed');
    try {
      if (value === undefined) this.#sql.unsetCap.run(scope, key);
      else this.#sql.setCap.run(scope, key, value);
    } finally {
      // A read begun meanwhile is not kept.
      this.#tell('changed');
    }
  }

  scopesWithCaps(): string[] {
    return (this.#sql.capped.all() as [string][]).map((row) => row[0]);
  }

  /** Always listening: its own changes are told at once, other connections' by data_version. */
  watchCaps(listener: (news: CapsNews) => void): () => void {
    this.#watchers.add(listener);
    if (!this.#poll) {
      let seen = this.#dataVersion();
      this.#poll = setInterval(() => {
        if (!this.#db.open) return this.#stopPolling();
        // Moves when another connection commits (any table): then the caps may have changed.
        const version = this.#dataVersion();
        if (version !== seen) this.#tell('changed');
        seen = version;
      }, CAPS_FRESH_MS);
      // A watch never keeps the process alive.
      this.#poll.unref();
    }
    listener('listening');
    return () => {
      this.#watchers.delete(listener);
      if (this.#watchers.size === 0) this.#stopPolling();
    };
  }

  #dataVersion(): unknown {
    return (this.#sql.dataVersion.get() as unknown[] | undefined)?.[0];
  }

  #stopPolling(): void {
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  #tell(news: CapsNews): void {
    for (const watcher of this.#watchers) watcher(news);
  }
}
