/**
 * The libSQL SpendStore over the kernel database's budget_spend, budget_reservations and
 * budget_limits tables (the embedded default of the contract in @oxydra/types). A reservation
 * reads and inserts under the database's write lock (BEGIN IMMEDIATE, or the transaction open on
 * the connection), so two processes cannot together pass a cap. Statements are prepared once:
 * reserve, settle and caps are on the path of every model call.
 */
import type {
  AuditFind,
  AuditSeal,
  AuditStore,
  CapsNews,
  NewReservation,
  SpendStore,
  SpendTarget,
  SpendTotals,
  SpendUsed,
  StoredAuditEntry,
  StoredAuditHead,
  StoredAuditPruned,
  StoredUsage,
  UsageGroup,
  UsageGroupTotals,
  UsageQuery,
  UsageStore,
  UsageTotals,
} from '@oxydra/types';
import { atomically, type KernelDb } from '../kernel-db.js';

/**
 * Caps are asked before every model call, and the kernel keeps them between the changes this
 * store tells of (services/budgets/spending.ts's CapsMemory; reading them was 8% of a turn). Its own
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
      // A settle's totals (one per scope and period, four for a run's model call) in one statement.
      add: new RowInserter(
        db,
        'budget_spend (scope, period, usd, tokens, calls)',
        5,
        'ON CONFLICT (scope, period) DO UPDATE SET usd = usd + excluded.usd, tokens = tokens + excluded.tokens, calls = calls + excluded.calls',
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
      if (spend.length > 0)
        this.#sql.add.insert(spend.map((row) => [row.scope, row.period, row.usd, row.tokens, row.calls]));
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

/**
 * The libSQL AuditStore over the kernel database's audit_log and audit_meta tables (the embedded
 * default of the contract in @oxydra/types). An append reads the head and inserts under the
 * database's write lock (BEGIN IMMEDIATE, or the transaction open on the connection), so two
 * processes on one file extend one chain. Statements are prepared once: an append is on the path
 * of every tool call.
 */
type Row = [number, string, string, string, string, string, string, string];
const COLUMNS = 'seq, ts, actor, action_type, action, resource, prev_hash, hash';
/** The audit_meta key of the pruning marker; notes may not use it. */
const PRUNED = 'pruned';
const GENESIS = 'genesis';

const entryOf = ([seq, ts, actor, actionType, action, resource, prevHash, hash]: Row): StoredAuditEntry => ({
  seq: Number(seq),
  ts,
  actor,
  actionType,
  action,
  resource,
  prevHash,
  hash,
});

export class LibsqlAuditStore implements AuditStore<'sync'> {
  readonly #db: KernelDb;
  readonly #sql;

  constructor(db: KernelDb) {
    this.#db = db;
    const raw = (sql: string) => db.prepare(sql).raw(true);
    this.#sql = {
      insert: new RowInserter(db, `audit_log (${COLUMNS})`, 8),
      head: raw('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1'),
      count: raw('SELECT COUNT(*) FROM audit_log'),
      first: raw('SELECT MIN(seq) FROM audit_log'),
      hashAt: raw('SELECT hash FROM audit_log WHERE seq = ?'),
      range: raw(`SELECT ${COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`),
      deleteThrough: db.prepare('DELETE FROM audit_log WHERE seq <= ?'),
      meta: raw('SELECT value FROM audit_meta WHERE key = ?'),
      setPruned: db.prepare(
        `INSERT INTO audit_meta (key, value) VALUES ('${PRUNED}', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ),
      addNote: db.prepare('INSERT INTO audit_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    };
  }

  append(entries: readonly StoredAuditEntry[], seal: AuditSeal): StoredAuditEntry[] {
    if (entries.length === 0) return [];
    return atomically(this.#db, () => {
      let tail = this.head();
      const stored: StoredAuditEntry[] = [];
      const rows: unknown[][] = [];
      for (const given of entries) {
        const seq = (tail?.seq ?? 0) + 1;
        const prevHash = tail?.hash ?? GENESIS;
        const entry =
          given.seq === seq && given.prevHash === prevHash
            ? given
            : { ...given, seq, prevHash, hash: seal(given, seq, prevHash) };
        const { ts, actor, actionType, action, resource, hash } = entry;
        rows.push([seq, ts, actor, actionType, action, resource, prevHash, hash]);
        stored.push(entry);
        tail = entry;
      }
      this.#sql.insert.insert(rows);
      return stored;
    });
  }

  head(): StoredAuditHead | undefined {
    const row = this.#sql.head.get() as [number, string] | undefined;
    return row ? { seq: Number(row[0]), hash: row[1] } : undefined;
  }

  count(): number {
    return Number((this.#sql.count.get() as [number])[0]);
  }

  range(afterSeq: number, limit: number): StoredAuditEntry[] {
    return (this.#sql.range.all(afterSeq, limit) as Row[]).map(entryOf);
  }

  find(filter: AuditFind): StoredAuditEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (clause: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    add('actor = ?', filter.actor);
    add('ts >= ?', filter.since);
    add('action_type = ?', filter.actionType);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const limit = filter.limit !== undefined ? 'LIMIT ?' : '';
    if (filter.limit !== undefined) args.push(Math.max(0, Math.floor(filter.limit)));
    const rows = this.#db
      .prepare(`SELECT ${COLUMNS} FROM audit_log ${clause} ORDER BY seq DESC ${limit}`)
      .raw(true)
      .all(...args) as Row[];
    return rows.reverse().map(entryOf);
  }

  prune(through: number, at: string): StoredAuditPruned | undefined {
    return atomically(this.#db, () => {
      const first = (this.#sql.first.get() as [number | null] | undefined)?.[0];
      if (first === null || first === undefined || Number(first) > through) return undefined;
      const hash = (this.#sql.hashAt.get(through) as [string] | undefined)?.[0];
      if (hash === undefined) return undefined;
      this.#sql.deleteThrough.run(through);
      const marker: StoredAuditPruned = { through, hash, at };
      this.#sql.setPruned.run(JSON.stringify(marker));
      return marker;
    });
  }

  pruned(): StoredAuditPruned | undefined {
    const value = this.note(PRUNED);
    return value === undefined ? undefined : (JSON.parse(value) as StoredAuditPruned);
  }

  note(key: string): string | undefined {
    return (this.#sql.meta.get(key) as [string] | undefined)?.[0];
  }

  addNote(key: string, value: string): boolean {
    if (key === PRUNED) throw new Error(`"${PRUNED}" is the pruning marker's key, not a note's`);
    return this.#sql.addNote.run(key, value).changes > 0;
  }
}

/**
 * The libSQL UsageStore over the kernel database's usage_log table (the embedded default of the
 * contract in @oxydra/types). Reports group and sum in SQL: a year of rows is never loaded.
 */
const KEY_SQL: Record<UsageGroup, string> = {
  day: "strftime('%Y-%m-%d', ts / 1000, 'unixepoch')",
  agent: "COALESCE(agent_name, '(' || kind || ')')",
  model: "COALESCE(provider || '/', '') || COALESCE(model, '(unknown)')",
  user: 'user_id',
  session: "COALESCE(session_id, '(none)')",
};

const SUMS = `COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),
  COALESCE(SUM(cache_read_tokens), 0), TOTAL(cost_usd), COALESCE(SUM(cost_usd IS NULL), 0)`;

type SumRow = [number, number, number, number, number, number];

const totalsOf = (row: SumRow): UsageTotals => ({
  calls: Number(row[0]),
  inputTokens: Number(row[1]),
  outputTokens: Number(row[2]),
  cacheReadTokens: Number(row[3]),
  costUsd: row[4],
  unknownCostCalls: Number(row[5]),
});

export class LibsqlUsageStore implements UsageStore<'sync'> {
  readonly #db: KernelDb;
  readonly #sql;

  constructor(db: KernelDb) {
    this.#db = db;
    this.#sql = {
      insert: new RowInserter(
        db,
        `usage_log (ts, kind, agent_id, agent_name, user_id, session_id, provider, model,
           input_tokens, output_tokens, cache_read_tokens, cost_usd)`,
        12,
      ),
      pruneOld: db.prepare('DELETE FROM usage_log WHERE ts < ?'),
      pruneExtra: db.prepare('DELETE FROM usage_log WHERE id <= (SELECT MAX(id) FROM usage_log) - ?'),
    };
  }

  insert(rows: readonly StoredUsage[]): void {
    atomically(this.#db, () => {
      this.#sql.insert.insert(
        rows.map((row) => [
          row.ts,
          row.kind,
          row.agentId,
          row.agentName,
          row.userId,
          row.sessionId,
          row.provider,
          row.model,
          row.inputTokens,
          row.outputTokens,
          row.cacheReadTokens,
          row.costUsd,
        ]),
      );
    });
  }

  prune(before: number, keep: number): number {
    return atomically(this.#db, () => {
      const old = this.#sql.pruneOld.run(before).changes;
      const extra = this.#sql.pruneExtra.run(keep).changes;
      return Number(old) + Number(extra);
    });
  }

  report(query: UsageQuery): { rows: UsageGroupTotals[]; totals: UsageTotals } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.since !== undefined) {
      where.push('ts >= ?');
      params.push(query.since);
    }
    if (query.until !== undefined) {
      where.push('ts < ?');
      params.push(query.until);
    }
    if (query.userId !== undefined) {
      where.push('user_id = ?');
      params.push(query.userId);
    }
    const key = KEY_SQL[query.by];
    if (key === undefined) throw new Error(`no usage group ${JSON.stringify(query.by)}`);
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const order = query.by === 'day' ? 'key ASC' : '6 DESC, 2 DESC, key ASC';
    const grouped = this.#db
      .prepare(`SELECT ${key} AS key, ${SUMS} FROM usage_log ${filter} GROUP BY key ORDER BY ${order}`)
      .raw(true)
      .all(...params) as [string, ...SumRow][];
    const total = this.#db
      .prepare(`SELECT ${SUMS} FROM usage_log ${filter}`)
      .raw(true)
      .get(...params) as SumRow;
    return {
      rows: grouped.map(([groupKey, ...sums]) => ({ key: groupKey, ...totalsOf(sums) })),
      totals: totalsOf(total),
    };
  }
}

/**
 * Inserts many rows of one table with few statements: a group commit writes a tick's audit
 * entries, usage rows and spend totals together (hundreds at 200 agents, a few in a lone run),
 * and each statement run is a call into the native driver with its own bind, step and reset
 * (~15-25 µs each inside a run, cache-cold, against ~5 µs in a tight loop). So the rows go
 * CHUNK to a statement, and the rows that do not fill a chunk in one statement of their count
 * (a settle's four spend totals: one statement, not four). A statement per count is prepared at
 * its first use and kept (at most CHUNK of them).
 */
/** Rows per multi-row statement: CHUNK × columns stays far below SQLite's 32,766 parameters. */
const CHUNK = 16;

/**
 * What is used of a prepared statement: its run with the values in one array. libsql's run takes
 * a lone array as the values themselves; given them spread, it gathers them into an array and
 * copies that again (`flat()`): two copies of up to 192 values per statement, for nothing.
 */
type Statement = { run(values: readonly unknown[]): unknown };

class RowInserter {
  readonly #db: KernelDb;
  readonly #into: string;
  readonly #row: string;
  readonly #then: string;
  readonly #width: number;
  /** The statement of n rows at [n]. */
  readonly #byCount: (Statement | undefined)[] = [];

  /**
   * `into`: "table (col, col, …)"; `width`: how many columns; `then`: what follows the values
   * (an ON CONFLICT clause), applied to each row in turn as a statement of one row would.
   */
  constructor(db: KernelDb, into: string, width: number, then = '') {
    this.#db = db;
    this.#into = into;
    this.#row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    this.#then = then === '' ? '' : ` ${then}`;
    this.#width = width;
  }

  #statement(count: number): Statement {
    let statement = this.#byCount[count];
    if (!statement) {
      statement = this.#db.prepare(
        `INSERT INTO ${this.#into} VALUES ${Array.from({ length: count }, () => this.#row).join(', ')}${this.#then}`,
      ) as Statement;
      this.#byCount[count] = statement;
    }
    return statement;
  }

  /** Inserts `rows` (each `width` values, in column order), in order; call inside a transaction. */
  insert(rows: readonly (readonly unknown[])[]): void {
    if (rows.length === 1) {
      this.#statement(1).run(rows[0]!);
      return;
    }
    for (let at = 0; at < rows.length; at += CHUNK) {
      const count = Math.min(CHUNK, rows.length - at);
      const values: unknown[] = new Array(count * this.#width);
      for (let r = 0; r < count; r++) {
        const row = rows[at + r]!;
        for (let c = 0; c < this.#width; c++) values[r * this.#width + c] = row[c];
      }
      this.#statement(count).run(values);
    }
  }
}
