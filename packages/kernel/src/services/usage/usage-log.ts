/**
 * The usage log: one row per priced call, so costs can be reported by day, agent, model, user or
 * session (`oxydra costs`, the dashboard). The spending ledger keeps only totals per scope and
 * period, enough for caps but not for "which model cost what on Tuesday". A row is written where
 * the ledger settles the call, inside the same write transaction, through a prepared statement:
 * no extra commit per call. Growth is bounded by age and count ([budgets] usage_log_days,
 * usage_log_max_rows), pruned on a process's first row and every 1,000th after it.
 */
import type { Usage } from '@oxydra/types';
import type { KernelDb, KernelStatement } from '../../store/kernel-db.js';
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
}

const PRUNE_EVERY = 1000;
const DAY_MS = 86_400_000;

export class UsageLog {
  #insert: KernelStatement | undefined;
  #written = 0;

  constructor(
    private readonly db: KernelDb,
    private readonly options: UsageLogOptions,
  ) {}

  /** Enters one call (inside the caller's transaction when there is one). */
  record(kind: UsageKind, source: UsageSource, usage: Usage): void {
    this.#insert ??= this.db.prepare(
      `INSERT INTO usage_log (ts, kind, agent_id, agent_name, user_id, session_id, provider, model,
         input_tokens, output_tokens, cache_read_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const now = this.options.now?.() ?? Date.now();
    if (this.#written % PRUNE_EVERY === 0) this.prune(now);
    this.#written += 1;
    this.#insert.run(
      now,
      kind,
      source.agentId ?? null,
      source.agentName ?? null,
      source.userId ?? LOCAL_USER,
      source.sessionId ?? null,
      source.provider ?? null,
      source.model ?? null,
      usage.inputTokens ?? 0,
      usage.outputTokens ?? 0,
      usage.cacheReadTokens ?? 0,
      usage.costUsd ?? null,
    );
  }

  /** Removes rows older than the retention and beyond the row limit; returns how many. */
  prune(now = this.options.now?.() ?? Date.now()): number {
    const old = this.db
      .prepare('DELETE FROM usage_log WHERE ts < ?')
      .run(now - this.options.retentionDays * DAY_MS).changes;
    const extra = this.db
      .prepare('DELETE FROM usage_log WHERE id <= (SELECT MAX(id) FROM usage_log) - ?')
      .run(this.options.maxRows).changes;
    return Number(old) + Number(extra);
  }
}
