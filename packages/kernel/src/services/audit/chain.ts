/**
 * The audit chain (Oxios's AuditTrail): an append-only hash chain kept by the AuditStore (the
 * kernel database's). Entries are hashed here, linked after the head this chain last saw; the
 * store places them after the head it reads under its write lock and hashes again (the seal) any
 * another process got ahead of, so two processes on one workspace extend one chain. Inside a
 * caller's transaction the entry commits (or rolls back) with what it records. Beyond `maxEntries` the oldest entries are pruned and
 * a "pruned" marker keeps the hash the first remaining entry links to (nothing is rehashed).
 */
import type { AuditSeal, AuditStore, ControlStoreGroup, StoredAuditEntry } from '@oxydra/types';
import type { KernelDb } from '../../store/kernel-db.js';
import { libsqlControlStores } from '../../store/libsql/control.js';
import { WriteBatch } from '../../store/write-batch.js';
import { type AuditAction, type AuditEntry, canonicalJson, type EntryHasher, GENESIS } from './entry.js';
// Types only: the verifier loads at the first verify (`oxydra audit verify`, the guardian), not with every kernel.
import type { AuditAnchor, VerifyReport } from './verify.js';

export interface AuditRecord {
  actor: string;
  action: AuditAction;
  resource?: string;
}

export interface AuditFilter {
  /** Entries whose actor is this agent ("agent:<id>" or the bare id). */
  agent?: string;
  /** Entries at or after this ISO time. */
  since?: string;
  type?: string;
  /** The newest this many (default: all). */
  limit?: number;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

/** The pruning marker: entries up to `through` are gone; `hash` is the last one's. */
export interface PrunedMarker {
  through: number;
  hash: string;
  at: string;
}

type Row = [number, string, string, string, string, string, string];
/** Entries read per store call by verify and export. */
const PAGE = 1000;

/** How an append is committed: now (default) or with the others of this tick (`grouped`). */
export interface AppendOptions {
  /**
   * Committed at the end of the tick with the other entries of the tick (one transaction). For
   * records of what already happened (an agent spawned or exited, a tool's result): a decision
   * that lets something happen (an approval, a tool call) is committed before it goes on.
   */
  grouped?: boolean;
}

export class AuditChain {
  readonly #db: KernelDb;
  readonly #stores: ControlStoreGroup<'sync'>;
  readonly #store: AuditStore<'sync'>;
  readonly #hasher: EntryHasher;
  readonly #maxEntries: number;
  readonly #now: () => Date;
  readonly #batch: WriteBatch;
  /** Entries hashed but not yet committed, oldest first (they wait for the tick's commit). */
  #pending: AuditEntry[] = [];
  /** The head as this chain last wrote or read it (undefined: not known, ask the store). */
  #tail: AuditHead | null | undefined;
  /** Pruning runs when the newest seq reaches this (entries beyond the cap go in batches). */
  #pruneAt = 0;

  constructor(db: KernelDb, hasher: EntryHasher, options: { maxEntries: number; now?: () => Date }) {
    this.#db = db;
    this.#stores = libsqlControlStores(db);
    this.#store = this.#stores.audit;
    this.#hasher = hasher;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? (() => new Date());
    this.#batch = WriteBatch.of(db);
  }

  /**
   * Hashes and links the entry after the chain's head (as last seen, or the last entry waiting
   * for this tick's commit). Without `grouped` it is committed before this returns.
   */
  append(record: AuditRecord, options: AppendOptions = {}): AuditEntry {
    if (!options.grouped || this.#db.inTransaction) {
      // Committed now: with what waits (one transaction) or inside the caller's transaction.
      if (this.#pending.length > 0) this.#batch.flush();
      const entry = this.#link(record, this.#lastSeen());
      this.#stores.transaction(({ audit }) => this.#write(audit, [entry]));
      return entry;
    }
    const entry = this.#link(record, this.#pending.at(-1) ?? this.#lastSeen());
    if (this.#pending.push(entry) === 1) this.#batch.add(this.#job);
    return entry;
  }

  /** Resolves once every entry appended so far is committed (rejects if that commit failed). */
  committed(): Promise<void> {
    return this.#pending.length > 0 ? this.#batch.committed() : Promise.resolve();
  }

  /** Commits the waiting entries now. */
  flush(): void {
    if (this.#pending.length > 0) this.#batch.flush();
  }

  /** Before a read: what waits is committed when it can be (else it stays waiting, retried). */
  #settle(): void {
    try {
      this.flush();
    } catch {
      // The read shows what is on disk; the batch warned and retries the commit.
    }
  }

  /** Commits every write waiting in the database's batch (settles too): before it closes. */
  commitAll(): void {
    this.#batch.flush();
  }

  /** The head on disk now, without committing what waits (anchor: after awaiting `committed()`). */
  durableHead(): AuditHead | undefined {
    return this.#store.head();
  }

  readonly #job = {
    // Inside the batch's transaction: the store links them after its head (same objects, so
    // callers see the final seq/hash when another process appended since they were hashed).
    write: () => this.#write(this.#store, this.#pending),
    done: (error: unknown) => {
      // Committed: they are in the table now. Rolled back: they wait for the next commit.
      if (error === undefined) this.#pending = [];
      else {
        this.#tail = undefined;
        this.#batch.add(this.#job);
      }
    },
  };

  #lastSeen(): AuditHead | undefined {
    if (this.#tail === undefined) this.#tail = this.#store.head() ?? null;
    return this.#tail ?? undefined;
  }

  #link(record: AuditRecord, tail: AuditHead | undefined): AuditEntry {
    const seq = (tail?.seq ?? 0) + 1;
    const prev = tail?.hash ?? GENESIS;
    const ts = this.#now().toISOString();
    const action = canonicalJson(record.action);
    const resource = record.resource ?? '';
    const hash = this.#hasher.hash(seq, ts, record.actor, action, resource, prev);
    const entry = { seq, ts, actor: record.actor, action: record.action, resource, prev_hash: prev, hash };
    this.#actionText.set(entry, action);
    return entry;
  }

  /** Each entry's canonical action text, as hashed (written as hashed, never re-encoded). */
  readonly #actionText = new WeakMap<AuditEntry, string>();

  /** What the store hashes an entry it moved with: the same hash as #link's. */
  readonly #seal: AuditSeal = (entry, seq, prevHash) =>
    this.#hasher.hash(seq, entry.ts, entry.actor, entry.action, entry.resource, prevHash);

  #write(store: AuditStore<'sync'>, entries: readonly AuditEntry[]): void {
    if (entries.length === 0) return;
    const stored = store.append(entries.map(this.#stored), this.#seal);
    entries.forEach((entry, index) => {
      const placed = stored[index]!;
      if (placed.seq !== entry.seq || placed.hash !== entry.hash) {
        Object.assign(entry, { seq: placed.seq, prev_hash: placed.prevHash, hash: placed.hash });
      }
    });
    const last = entries.at(-1)!;
    // Until the transaction ends this is only what this chain expects: a rollback is relinked.
    this.#tail = { seq: last.seq, hash: last.hash };
    this.#prune(store, last.seq);
  }

  readonly #stored = (entry: AuditEntry): StoredAuditEntry => ({
    seq: entry.seq,
    ts: entry.ts,
    actor: entry.actor,
    actionType: entry.action.type,
    action: this.#actionText.get(entry) ?? canonicalJson(entry.action),
    resource: entry.resource,
    prevHash: entry.prev_hash,
    hash: entry.hash,
  });

  /** The committed head (what waits for this tick's commit is committed first). */
  head(): AuditHead | undefined {
    this.#settle();
    return this.#store.head();
  }

  count(): number {
    this.#settle();
    return this.#store.count();
  }

  /** Oldest first; with `limit`, the newest `limit` entries (still oldest first). */
  list(filter: AuditFilter = {}): AuditEntry[] {
    this.#settle();
    const { agent, since, type, limit } = filter;
    return this.#store
      .find({
        ...(agent !== undefined ? { actor: agent.includes(':') ? agent : `agent:${agent}` } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(type !== undefined ? { actionType: type } : {}),
        ...(limit !== undefined ? { limit } : {}),
      })
      .map(entryOf);
  }

  /** Every entry, oldest first, a page at a time (export). */
  *entries(): Generator<AuditEntry> {
    this.#settle();
    for (const row of this.#rows()) yield entryOf(row);
  }

  *#rows(): Generator<StoredAuditEntry> {
    for (let after = 0; ; ) {
      const page = this.#store.range(after, PAGE);
      yield* page;
      if (page.length < PAGE) return;
      after = page.at(-1)!.seq;
    }
  }

  pruned(): PrunedMarker | undefined {
    return this.#store.pruned();
  }

  async verify(anchors: readonly AuditAnchor[] = []): Promise<VerifyReport> {
    const { verifyRows } = await import('./verify.js');
    this.#settle();
    const rows = function* (entries: Iterable<StoredAuditEntry>): Generator<Row> {
      for (const e of entries) yield [e.seq, e.ts, e.actor, e.action, e.resource, e.prevHash, e.hash];
    };
    return verifyRows(rows(this.#rows()), {
      hasher: this.#hasher,
      pruned: this.pruned(),
      anchors,
      now: this.#now(),
    });
  }

  /**
   * Beyond the cap the oldest entries go, in batches of a hundredth of the cap (one entry at a
   * time cost a query on every append, and grew the process).
   */
  #prune(store: AuditStore<'sync'>, seq: number): void {
    const through = seq - this.#maxEntries;
    if (through < 1 || seq < this.#pruneAt) return;
    this.#pruneAt = seq + Math.max(1, Math.floor(this.#maxEntries / 100));
    store.prune(through, this.#now().toISOString());
  }
}

function entryOf(row: StoredAuditEntry): AuditEntry {
  const { seq, ts, actor, action, resource, prevHash, hash } = row;
  return { seq, ts, actor, action: JSON.parse(action) as AuditAction, resource, prev_hash: prevHash, hash };
}
