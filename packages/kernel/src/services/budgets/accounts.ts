/**
 * Budgets that cascade: each turn of an agent has an account, linked to its parent's. A call is
 * charged to the account and every ancestor's, and checked against all of their limits, so a
 * sub-agent's turns and dollars count against its parent's max_turns and max_cost, and a parent
 * whose limit is used up stops its children at their next call.
 */
import { type BudgetLedger, CostTally, costLeft, costLimitVerdict, formatUsd } from '@oxydra/runtime';
import {
  addUsage,
  BudgetExceeded,
  type ControlStoreGroup,
  type ControlStores,
  type StoredUsage,
  type Usage,
  type UsageStore,
} from '@oxydra/types';
import type { KernelDb } from '../../store/kernel-db.js';
import { asyncControlStores } from '../../store/libsql/async-view.js';
import { type Cap, LOCAL_USER } from './caps.js';
import type { AlsoRecord, Reservation, SpendingLedger } from './spending.js';

/**
 * The persistent caps of an account's calls: reserved before each call, settled after it.
 * `caps` is asked at each call, so a cap changed with `oxydra budget set` applies at once.
 */
export interface SpendingCaps {
  ledger: SpendingLedger;
  caps: () => Promise<readonly Cap[]>;
  /** What caps() would answer, when that needs no read (keptCapsFor); else undefined. */
  keptCaps?: () => readonly Cap[] | undefined;
  /** The scopes a call is charged to: its user's and its agent's. */
  scopes: string[];
  /** Reserved when the call's price cannot be estimated. */
  minimumUsd: number;
}

/**
 * Where an account's calls are entered in the usage log: who they are for, and the model a
 * turn's calls go to (a side call names its own).
 */
export interface UsageMeter {
  log: UsageLog;
  source: UsageSource;
}

/** A side call's answer: its text, usage, and what answered it when not the agent's model. */
export interface SideAnswer {
  text: string;
  usage: Usage;
  provider?: string;
  model?: string;
}

export interface AccountLimits {
  maxTurns?: number;
  maxCostUsd?: number;
}

/** What is left of an agent's limits (checkBudget). */
export interface BudgetSnapshot {
  turns: { used: number; limit?: number; remaining?: number };
  costUsd: { used: number | null; limit?: number; remaining?: number };
  usage: Usage;
}

export class BudgetAccount implements BudgetLedger {
  turns = 0;
  /** What this account's calls and its sub-agents' cost (unknown once one call's was). */
  readonly spent = new CostTally();
  usage: Usage = {};
  #estimateUsd = 0;
  #reservation: Reservation | undefined;

  constructor(
    /** Whose limits these are, for messages ("agent researcher"). */
    readonly owner: string,
    readonly limits: AccountLimits,
    readonly parent?: BudgetAccount,
    readonly spending?: SpendingCaps,
    readonly meter?: UsageMeter,
  ) {}

  async countCall(): Promise<void> {
    if (this.spending) {
      // A call that failed without usage left its reservation: it cost nothing we know of.
      this.releaseReservation();
      const { ledger, caps, keptCaps, scopes, minimumUsd } = this.spending;
      const amount = Math.max(this.#estimateUsd, minimumUsd);
      this.#estimateUsd = 0;
      this.#reservation = await ledger.reserve(keptCaps?.() ?? (await caps()), scopes, amount);
    }
    for (let account: BudgetAccount | undefined = this; account; account = account.parent) account.turns += 1;
  }

  /** Returns an unsettled reservation (the turn ended, or its call failed without usage). */
  releaseReservation(): void {
    if (this.#reservation) this.spending?.ledger.release(this.#reservation);
    this.#reservation = undefined;
  }

  charge(usage: Usage): void {
    const entry = this.#entry('model', usage);
    if (this.spending) {
      const { ledger, scopes } = this.spending;
      const reservation = this.#reservation ?? ledger.charged(scopes);
      this.#reservation = undefined;
      ledger.settle(
        reservation,
        { usd: usage.costUsd, tokens: (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) },
        entry,
      );
    } else this.#logAlone(usage);
    this.#addUp(usage);
  }

  /** Without a ledger the row goes in on its own (the usage log batches it). */
  #logAlone(usage: Usage, kind: UsageKind = 'model', answeredBy: Partial<SideAnswer> = {}): void {
    if (this.meter) this.meter.log.record(kind, this.#source(answeredBy), usage);
  }

  /** The usage log row of one call, written in the ledger's settling transaction. */
  #entry(kind: UsageKind, usage: Usage, answeredBy: Partial<SideAnswer> = {}): AlsoRecord | undefined {
    const meter = this.meter;
    if (!meter) return undefined;
    const source = this.#source(answeredBy);
    return (stores) => meter.log.recordIn(stores, kind, source, usage);
  }

  #source(answeredBy: Partial<SideAnswer>): UsageSource {
    const source = this.meter!.source;
    return answeredBy.provider !== undefined || answeredBy.model !== undefined
      ? {
          ...source,
          ...(answeredBy.provider !== undefined ? { provider: answeredBy.provider } : {}),
          ...(answeredBy.model !== undefined ? { model: answeredBy.model } : {}),
        }
      : source;
  }

  #addUp(usage: Usage): void {
    for (let account: BudgetAccount | undefined = this; account; account = account.parent) {
      account.usage = addUsage(account.usage, usage);
      account.spent.add(usage.costUsd);
    }
  }

  /**
   * A model call made for the agent beside its turns (the summary model's): checked against
   * the limits and reserved against the caps like a turn's call, then charged to this account
   * and its ancestors. It is not a turn: max_turns is not counted. A refusal or failure throws,
   * and the caller (the rolling summary) falls back to what costs nothing. `kind` is what the
   * usage log calls it: a summary, or a remote agent's reported cost.
   */
  async sideCall(call: () => Promise<SideAnswer>, kind: UsageKind = 'summary'): Promise<string> {
    this.check();
    let reservation: Reservation | undefined;
    if (this.spending) {
      const { ledger, caps, scopes, minimumUsd } = this.spending;
      reservation = await ledger.reserve(await caps(), scopes, minimumUsd);
    }
    let answer: SideAnswer;
    try {
      answer = await call();
    } catch (error) {
      if (reservation) this.spending?.ledger.release(reservation);
      throw error;
    }
    const { usage } = answer;
    if (reservation) {
      this.spending!.ledger.settle(
        reservation,
        { usd: usage.costUsd, tokens: (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) },
        this.#entry(kind, usage, answer),
      );
    } else this.#logAlone(usage, kind, answer);
    this.#addUp(usage);
    return answer.text;
  }

  check(nextCallUsd = 0): void {
    this.#estimateUsd = Math.max(this.#estimateUsd, nextCallUsd);
    for (let account: BudgetAccount | undefined = this; account; account = account.parent) {
      account.#checkOwn(nextCallUsd, account !== this);
    }
  }

  snapshot(): BudgetSnapshot {
    const { maxTurns, maxCostUsd } = this.limits;
    return {
      turns: {
        used: this.turns,
        ...(maxTurns !== undefined ? { limit: maxTurns, remaining: Math.max(0, maxTurns - this.turns) } : {}),
      },
      costUsd: {
        used: this.spent.unknown ? null : this.spent.usd,
        ...(maxCostUsd !== undefined
          ? { limit: maxCostUsd, remaining: costLeft(maxCostUsd, this.spent.usd) }
          : {}),
      },
      usage: this.usage,
    };
  }

  #checkOwn(nextCallUsd: number, inherited: boolean): void {
    const { maxTurns, maxCostUsd } = this.limits;
    const whose = inherited
      ? `${this.owner}'s budget (shared with its sub-agents)`
      : `${this.owner}'s budget (with its sub-agents)`;
    if (maxTurns !== undefined && this.turns >= maxTurns) {
      throw new BudgetExceeded(
        'turns',
        maxTurns,
        this.turns,
        `turn budget exhausted: ${whose}: ${this.turns} of ${maxTurns} model calls used`,
      );
    }
    if (maxCostUsd === undefined) return;
    const verdict = costLimitVerdict(maxCostUsd, this.spent, nextCallUsd);
    if (verdict === 'unknown') {
      throw new BudgetExceeded(
        'cost',
        maxCostUsd,
        this.spent.usd,
        `cost budget cannot be enforced: ${whose}: a call's cost is unknown (max_cost ${formatUsd(maxCostUsd)})`,
      );
    }
    if (verdict === 'over') {
      throw new BudgetExceeded(
        'cost',
        maxCostUsd,
        this.spent.usd,
        `cost budget exhausted: ${whose}: ${formatUsd(this.spent.usd)} of ${formatUsd(maxCostUsd)} spent${nextCallUsd > 0 ? `, and the next call needs at least ${formatUsd(nextCallUsd)}` : ''}`,
      );
    }
  }
}

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
