/**
 * The audit chain's storage as a store contract. The chain is a list of entries numbered 1, 2,
 * 3... (seq, no gaps), each holding the hash of the one before it (prev_hash; the first links to
 * "genesis" or to the pruning marker). The STORE places entries: `append` links them after the
 * head it reads inside its own transaction, so two processes sharing one database (two gateways
 * on PostgreSQL: it locks the head FOR UPDATE) extend one chain and never fork it. What an entry
 * hashes is the service's (packages/kernel/src/services/audit/): the store calls the `seal` it is
 * given to hash an entry it had to move. The kernel database is the embedded default
 * (packages/kernel/src/store/libsql/ledgers.ts); the suite is in @oxydra/testkit/store-contracts.
 */
import type { StoreAnswer, StoreMode } from './answer.js';

export interface StoredAuditEntry {
  seq: number;
  /** ISO 8601 UTC, as hashed. */
  ts: string;
  actor: string;
  /** The action's type, kept apart for filtering (it is inside `action` too). */
  actionType: string;
  /** The canonical JSON of the action, exactly as hashed (never re-encoded by the store). */
  action: string;
  resource: string;
  prevHash: string;
  hash: string;
}

/** The head of the chain: its newest entry. */
export interface StoredAuditHead {
  seq: number;
  hash: string;
}

/** The pruning marker: entries up to `through` are gone; `hash` is the last one's. */
export interface StoredAuditPruned {
  through: number;
  hash: string;
  at: string;
}

/** Hashes `entry` as if placed at `seq` after `prevHash` (the service's hash of its fields). */
export type AuditSeal = (entry: StoredAuditEntry, seq: number, prevHash: string) => string;

export interface AuditFind {
  actor?: string;
  /** At or after this ISO time. */
  since?: string;
  actionType?: string;
  /** The newest this many (default: all). */
  limit?: number;
}

export interface AuditStore<M extends StoreMode = 'async'> {
  /**
   * Appends `entries` in order after the head, all or none, and resolves to them as stored. An
   * entry already linked where it lands (seq one past the entry before it, prevHash that entry's
   * hash) is stored as given; one that is not (another writer appended since the caller linked
   * it) is moved: given the next seq and prevHash and hashed again with `seal`. So the stored
   * chain never forks and its hashes are always the caller's.
   */
  append(entries: readonly StoredAuditEntry[], seal: AuditSeal): StoreAnswer<StoredAuditEntry[], M>;
  head(): StoreAnswer<StoredAuditHead | undefined, M>;
  count(): StoreAnswer<number, M>;
  /** Entries with seq > `afterSeq`, oldest first, at most `limit`: paging for verify and export. */
  range(afterSeq: number, limit: number): StoreAnswer<StoredAuditEntry[], M>;
  /** Entries matching every given filter; with `limit` the newest that many; oldest first. */
  find(filter: AuditFind): StoreAnswer<StoredAuditEntry[], M>;
  /**
   * Removes every entry with seq <= `through` and records the pruning marker (the hash of entry
   * `through`, time `at`), in one step; undefined (nothing changes) when no entry is that old or
   * entry `through` is gone already.
   */
  prune(through: number, at: string): StoreAnswer<StoredAuditPruned | undefined, M>;
  pruned(): StoreAnswer<StoredAuditPruned | undefined, M>;
  /** A named note kept with the chain (e.g. that the legacy log was imported), JSON text. */
  note(key: string): StoreAnswer<string | undefined, M>;
  /** Records a note once: false (nothing changes) when `key` has one already. */
  addNote(key: string, value: string): StoreAnswer<boolean, M>;
}
