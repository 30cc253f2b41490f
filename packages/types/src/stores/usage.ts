/**
 * The usage log as a store contract: one row per priced call (a model call, a rolling summary, a
 * remote agent's reported cost, an embedding request), reported grouped by UTC day, agent, model,
 * user or session (`oxydra costs`). The kernel database is the embedded default
 * (packages/kernel/src/store/libsql/ledgers.ts); the batching of rows is the service's.
 */
import type { StoreAnswer, StoreMode } from './answer.js';

export type StoredUsageKind = 'model' | 'summary' | 'remote' | 'embedding';

export interface StoredUsage {
  /** ms since the epoch. */
  ts: number;
  kind: StoredUsageKind;
  agentId: string | null;
  agentName: string | null;
  userId: string;
  sessionId: string | null;
  provider: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** null: the model's price is unknown (never counted as $0). */
  costUsd: number | null;
}

export type UsageGroup = 'day' | 'agent' | 'model' | 'user' | 'session';

export interface UsageQuery {
  by: UsageGroup;
  /** ms since the epoch: rows at or after. */
  since?: number;
  /** ms since the epoch: rows before. */
  until?: number;
  userId?: string;
}

export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** Dollars of the rows whose cost is known. */
  costUsd: number;
  /** Rows whose cost is unknown. */
  unknownCostCalls: number;
}

export interface UsageGroupTotals extends UsageTotals {
  /**
   * The group: a UTC day `YYYY-MM-DD`; the agent name, or `(<kind>)` without one; `provider/model`
   * (`model` alone without a provider, `(unknown)` without a model); the user id; the session id,
   * or `(none)`.
   */
  key: string;
}

export interface UsageStore<M extends StoreMode = 'async'> {
  /** Stores the rows, all or none. */
  insert(rows: readonly StoredUsage[]): StoreAnswer<void, M>;
  /**
   * Removes rows older than `before` (ms), then all but the newest `keep` rows (by insertion);
   * resolves to how many went.
   */
  prune(before: number, keep: number): StoreAnswer<number, M>;
  /** Days ascending; other groups by cost, then calls, descending, then key. */
  report(query: UsageQuery): StoreAnswer<{ rows: UsageGroupTotals[]; totals: UsageTotals }, M>;
}
