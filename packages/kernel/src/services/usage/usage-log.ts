/**
 * The usage log: one row per priced call, so costs can be reported by day, agent, model, user or
 * session (`oxydra costs`, the dashboard). The spending ledger keeps only totals per scope and
 * period, enough for caps but not for "which model cost what on Tuesday".
 *
 * Rows are written where the ledger settles a call, inside its write transaction, in batches: a
 * call's row waits in memory and goes in with the settle that fills a batch of 32, or at most a
 * second later in a transaction of its own, or when the kernel closes or reports costs. A row
 * written in every settle measured +40 µs a call (the commit's extra pages), a batch about
 * a tenth of that. A process killed with kill -9 loses at most its last second of rows (never
 * the ledger's spend: caps stay exact). Growth is bounded by age and count ([budgets]
 * usage_log_days, usage_log_max_rows), pruned on a process's first batch and every 1,000th row.
 */
import type { ControlStoreGroup, ControlStores, StoredUsage, Usage, UsageStore } from '@oxydra/types';
import type { KernelDb } from '../../store/kernel-db.js';
import { asyncControlStores } from '../../store/libsql/async-view.js';
import { LOCAL_USER } from '../budgets/caps.js';

/** What a row records: an agent's model call, a rolling summary, a remote A2A agent's reported cost, an embedding request. */
export type UsageKind = 'model' | 'summary' | 'remote' | 'embedding';

/** Who a call was made for and what answered it. */
export interface UsageSource {
  agentId?: string;
  /** The `[agents.<name>]` entry, or "default". */
  agentName?: string;
  /** Undefined: the terminal's user, recorded as "local" (as budgets do). */
  userId?: string;
  sessionId?: string;
  /** The provider entry's name (`[providers.registry.<name>]`), or "a2a" for a remote agent. */
  provider?: string;
  model?: string;
}

export interface UsageLogOptions {
  retentionDays: number;
  maxRows: number;
  now?: () => number;
  /** Rows kept in memory before they go in with a settle (default 32). */
  batch?: number;
  /** The longest a row waits before it is written on its own (default 1,000 ms). */
  maxDelayMs?: number;
  /** A batch that could not be written (the rows are dropped; the ledger has the spend). */
  warn?: (message: string) => void;
  /** Where the log is kept; default: the kernel database's control stores. */
  stores?: ControlStoreGroup;
}

const PRUNE_EVERY = 1000;
const DAY_MS = 86_400_000;

export class UsageLog {
  readonly #stores: ControlStoreGroup;
  readonly #store: UsageStore;
  #pending: StoredUsage[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #written = 0;
  #closed = false;
  /**
   * Settles once every flush begun so far has committed. A report flushes first, and a flush the
   * timer began a moment before has already taken the rows: without waiting for it, the report
   * read before they committed (on PostgreSQL, a round trip away, it missed every row).
   */
  #flushed: Promise<void> = Promise.resolve();

  constructor(
    db: KernelDb,
    private readonly options: UsageLogOptions,
  ) {
    this.#stores = options.stores ?? asyncControlStores(db);
    this.#store = this.#stores.usage;
  }

  /** Enters one call; the row waits for a settle that fills a batch, or the timer. */
  record(kind: UsageKind, source: UsageSource, usage: Usage): void {
    this.#add(kind, source, usage);
    if (this.#closed) void this.flush();
    else this.#arm();
  }

  /** Enters one call inside a settle's transaction (`tx`): a full batch is written as part of it. */
  async recordIn(tx: ControlStores, kind: UsageKind, source: UsageSource, usage: Usage): Promise<void> {
    this.#add(kind, source, usage);
    if (this.#closed || this.#pending.length >= (this.options.batch ?? 32)) await this.#write(tx.usage);
    else this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => void this.flush(), this.options.maxDelayMs ?? 1000);
    this.#timer.unref?.();
  }

  #add(kind: UsageKind, source: UsageSource, usage: Usage): void {
    this.#pending.push({
      ts: this.options.now?.() ?? Date.now(),
      kind,
      agentId: source.agentId ?? null,
      agentName: source.agentName ?? null,
      userId: source.userId ?? LOCAL_USER,
      sessionId: source.sessionId ?? null,
      provider: source.provider ?? null,
      model: source.model ?? null,
      inputTokens: usage.inputTokens ?? 0,
      outputTokens: usage.outputTokens ?? 0,
      cacheReadTokens: usage.cacheReadTokens ?? 0,
      costUsd: usage.costUsd ?? null,
    });
  }

  /**
   * Writes the waiting rows now (before a report, when the kernel closes); resolves once they,
   * and the rows of every flush begun before, are committed or given up.
   */
  flush(): Promise<void> {
    if (this.#pending.length > 0) {
      const write = this.#stores
        .transaction((tx) => this.#write(tx.usage))
        .catch((error: unknown) => {
          // Dropped, and what waits with them (the ledger has the spend): rows kept for a
          // database that keeps failing would grow without bound.
          this.#pending = [];
          this.options.warn?.(`could not write the usage log: ${(error as Error).message}`);
        });
      this.#flushed = Promise.all([this.#flushed, write]).then(() => undefined);
    }
    return this.#flushed;
  }

  /** Writes what waits; later rows are written at once. Call before closing the database. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  async #write(store: UsageStore): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const rows = this.#pending;
    this.#pending = [];
    if (rows.length === 0) return;
    const before = this.#written;
    if (before === 0 || Math.floor((before + rows.length) / PRUNE_EVERY) > Math.floor(before / PRUNE_EVERY))
      await this.prune(undefined, store);
    await store.insert(rows);
    this.#written += rows.length;
  }

  /** Removes rows older than the retention and beyond the row limit; resolves to how many. */
  prune(now = this.options.now?.() ?? Date.now(), store: UsageStore = this.#store): Promise<number> {
    return store.prune(now - this.options.retentionDays * DAY_MS, this.options.maxRows);
  }
}
