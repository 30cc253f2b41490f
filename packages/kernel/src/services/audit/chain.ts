/**
 * The audit chain (Oxios's AuditTrail): an append-only hash chain kept by the AuditStore of the
 * control group (the kernel database's, or PostgreSQL's). Entries are hashed here, linked after
 * the entry this chain last linked; the store places them after the head it reads under its
 * write lock and hashes again (the seal) any another process got ahead of, so two processes on
 * one store extend one chain. The entries of one tick commit together (control-batch.ts); inside
 * a caller's transaction an entry commits (or rolls back) with what it records. Beyond
 * `maxEntries` the oldest entries are pruned and a "pruned" marker keeps the hash the first
 * remaining entry links to (nothing is rehashed).
 */
import type {
  AuditSeal,
  AuditStore,
  ControlStoreGroup,
  ControlStores,
  StoredAuditEntry,
} from '@oxydra/types';
import { ControlBatch } from '../control-batch.js';
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

export class AuditChain {
  readonly #store: AuditStore;
  readonly #hasher: EntryHasher;
  readonly #maxEntries: number;
  readonly #now: () => Date;
  readonly #batch: ControlBatch;
  /** Entries hashed but not yet in a commit, oldest first (they wait for the tick's commit). */
  #pending: AuditEntry[] = [];
  /** Entries whose caller awaits their commit: a failed commit rejects them rather than retrying. */
  readonly #awaited = new WeakSet<AuditEntry>();
  /**
   * The newest entry this chain linked or read (undefined: not known; an entry linked then is
   * placed by the store, see AuditStore.append).
   */
  #tail: AuditHead | undefined;
  /**
   * The newest entry this chain's own group commits put in the store (undefined: not known, or an
   * entry went in a caller's transaction since, whose commit this chain does not see). It is on
   * disk and in the chain, so a turn's anchor hands it out without reading the head back: one
   * round trip fewer per turn on PostgreSQL (docs/postgres.md, "Third round").
   */
  #committedHead: AuditHead | undefined;
  /** Pruning runs when the newest seq reaches this (entries beyond the cap go in batches). */
  #pruneAt = 0;
  /** The job is in the batch (it takes what is pending when it writes). */
  #queued = false;

  constructor(
    stores: ControlStoreGroup,
    hasher: EntryHasher,
    options: { maxEntries: number; now?: () => Date },
  ) {
    this.#store = stores.audit;
    this.#hasher = hasher;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? (() => new Date());
    this.#batch = ControlBatch.of(stores);
  }

  /** Reads the head once, so the entries linked next are placed as linked (not moved and hashed again). */
  async load(): Promise<void> {
    this.#tail = await this.#store.head();
  }

  /**
   * Hashes and links the entry after the chain's head (as last linked), committed with what
   * waits, in one transaction; resolves once it is stored (the entry as placed).
   */
  async append(record: AuditRecord): Promise<AuditEntry> {
    const entry = this.#queue(record);
    this.#awaited.add(entry);
    await this.#batch.flush();
    return entry;
  }

  /**
   * Committed at the end of the tick with the other entries of the tick (one transaction). For
   * records of what already happened (an agent spawned or exited, a tool's result): a decision
   * that lets something happen (an approval, a tool call) is awaited (`append`).
   */
  appendGrouped(record: AuditRecord): AuditEntry {
    return this.#queue(record);
  }

  /** Appends inside the caller's transaction of the group (`tx`): it commits or rolls back with it. */
  async appendIn(tx: ControlStores, record: AuditRecord): Promise<AuditEntry> {
    // Committed (or not) with the caller's transaction: until a group commit of this chain follows
    // it (placed after it, so after its commit), the anchor reads the head.
    this.#committedHead = undefined;
    const entry = this.#link(record);
    await this.#write(tx.audit, [entry]);
    return entry;
  }

  #queue(record: AuditRecord): AuditEntry {
    const entry = this.#link(record);
    this.#pending.push(entry);
    this.#enqueue();
    return entry;
  }

  #enqueue(): void {
    if (this.#queued) return;
    this.#queued = true;
    this.#batch.add(this.#job);
  }

  /**
   * Resolves once every entry appended so far is committed (rejects if a commit of the chain's
   * failed meanwhile). It waits for the commit holding the newest of them and for no other: the
   * batch's other writes (a turn's spend settle), queued or already in a commit of their own after
   * it, do not hold up a turn's anchor (docs/postgres.md, "Third round" and "Tenth round").
   */
  committed(): Promise<void> {
    const newest = this.#pending.at(-1) ?? this.#writing.at(-1);
    if (newest === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => this.#committing.push({ entry: newest, resolve, reject }));
  }

  /** Callers of committed(), each waiting for the commit that holds its entry. */
  #committing: { entry: AuditEntry; resolve: () => void; reject: (error: unknown) => void }[] = [];

  /** Tells the callers of committed() what the commit that just ended means for them. */
  #tellCommitted(written: readonly AuditEntry[], error: unknown): void {
    if (this.#committing.length === 0) return;
    const waiting = this.#committing;
    this.#committing = [];
    for (const waiter of waiting) {
      if (error !== undefined) waiter.reject(error);
      // Commits run in order, so an entry's commit ends every commit before it too.
      else if (written.includes(waiter.entry)) waiter.resolve();
      else this.#committing.push(waiter);
    }
  }

  /** Commits every write waiting in the group's batch (settles too): before it closes. */
  commitAll(): Promise<void> {
    return this.#batch.flush();
  }

  /** Before a read: what waits is committed when it can be (else it stays waiting, retried). */
  async #settle(): Promise<void> {
    try {
      await this.#batch.flush();
    } catch {
      // The read shows what is stored; the batch warned and retries the commit.
    }
  }

  /**
   * A head on disk that every entry this chain committed so far reaches, without committing what
   * waits (anchor: after awaiting `committed()`): the newest entry of this chain's own commits
   * when known (another process's newer entries are not needed for it), else the head as stored.
   */
  async durableHead(): Promise<AuditHead | undefined> {
    const known = this.#committedHead;
    return known ? { seq: known.seq, hash: known.hash } : this.#store.head();
  }

  /** The entries of one commit, taken when it starts (entries appended meanwhile wait for the next). */
  #writing: AuditEntry[] = [];

  readonly #job = {
    // One append (pruning aside, which never fails the write): alone in a commit, it runs in the
    // store's own transaction, one round trip on PostgreSQL (control-batch.ts).
    standalone: true,
    // Inside the batch's transaction: the store links them after its head (same objects, so
    // callers see the final seq/hash when another process appended since they were hashed).
    write: async (stores: ControlStores) => {
      this.#queued = false;
      this.#writing = this.#pending;
      this.#pending = [];
      await this.#write(stores.audit, this.#writing);
    },
    done: (error: unknown) => {
      const written = this.#writing;
      this.#writing = [];
      if (error === undefined) {
        // As placed by the store (same objects), committed with a WAL flush like every audit
        // commit; commits run in order, so the last one's newest entry is this chain's newest.
        const last = written.at(-1);
        if (last) this.#committedHead = { seq: last.seq, hash: last.hash };
        this.#tellCommitted(written, undefined);
        return;
      }
      this.#tellCommitted(written, error);
      // Rolled back: they wait for the next commit (relinked by the store), except those a
      // caller awaits: it is told, and they are not written later behind its back.
      this.#tail = undefined;
      // Queued again even if it was (twice is harmless: a job with nothing pending writes nothing).
      this.#queued = false;
      this.#pending = [...written.filter((entry) => !this.#awaited.has(entry)), ...this.#pending];
      if (this.#pending.length > 0) this.#enqueue();
    },
  };

  #link(record: AuditRecord): AuditEntry {
    const tail = this.#tail;
    const seq = (tail?.seq ?? 0) + 1;
    const prev = tail?.hash ?? GENESIS;
    const ts = this.#timestamp();
    const action = canonicalJson(record.action);
    const resource = record.resource ?? '';
    const hash = this.#hasher.hash(seq, ts, record.actor, action, resource, prev);
    const entry = { seq, ts, actor: record.actor, action: record.action, resource, prev_hash: prev, hash };
    this.#actionText.set(entry, action);
    this.#tail = { seq, hash };
    return entry;
  }

  /** The clock's time of the last entry stamped, and its ISO text (#timestamp). */
  #stampedAt = Number.NaN;
  #stamp = '';

  /**
   * The entry's time as ISO text, made once per millisecond: Date#toISOString costs ~0.5 µs
   * (measured), and a busy kernel stamps many entries in the same millisecond. The same text as
   * `this.#now().toISOString()`, read from the same clock.
   */
  #timestamp(): string {
    const now = this.#now();
    const at = now.getTime();
    if (at !== this.#stampedAt) {
      this.#stampedAt = at;
      this.#stamp = now.toISOString();
    }
    return this.#stamp;
  }

  /** Each entry's canonical action text, as hashed (written as hashed, never re-encoded). */
  readonly #actionText = new WeakMap<AuditEntry, string>();

  /** What the store hashes an entry it moved with: the same hash as #link's. */
  readonly #seal: AuditSeal = (entry, seq, prevHash) =>
    this.#hasher.hash(seq, entry.ts, entry.actor, entry.action, entry.resource, prevHash);

  async #write(store: AuditStore, entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const last = entries.at(-1)!;
    const linked = { seq: last.seq, hash: last.hash };
    const stored = await store.append(entries.map(this.#stored), this.#seal);
    entries.forEach((entry, index) => {
      const placed = stored[index]!;
      if (placed.seq !== entry.seq || placed.hash !== entry.hash) {
        Object.assign(entry, { seq: placed.seq, prev_hash: placed.prevHash, hash: placed.hash });
      }
    });
    // Moved by the store: what this chain links next follows the entry as placed, unless newer
    // entries were linked meanwhile (they are placed by the store in turn). Until the
    // transaction ends this is only what this chain expects: a rollback is relinked.
    if (this.#tail?.seq === linked.seq && this.#tail.hash === linked.hash) {
      this.#tail = { seq: last.seq, hash: last.hash };
    }
    await this.#prune(store, last.seq);
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
  async head(): Promise<AuditHead | undefined> {
    await this.#settle();
    return this.#store.head();
  }

  async count(): Promise<number> {
    await this.#settle();
    return this.#store.count();
  }

  /** Oldest first; with `limit`, the newest `limit` entries (still oldest first). */
  async list(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    await this.#settle();
    const { agent, since, type, limit } = filter;
    const found = await this.#store.find({
      ...(agent !== undefined ? { actor: agent.includes(':') ? agent : `agent:${agent}` } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(type !== undefined ? { actionType: type } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    return found.map(entryOf);
  }

  /** Every entry, oldest first, a page at a time (export). */
  async *entries(): AsyncGenerator<AuditEntry> {
    await this.#settle();
    for await (const row of this.#rows()) yield entryOf(row);
  }

  async *#rows(): AsyncGenerator<StoredAuditEntry> {
    for (let after = 0; ; ) {
      const page = await this.#store.range(after, PAGE);
      yield* page;
      if (page.length < PAGE) return;
      after = page.at(-1)!.seq;
    }
  }

  pruned(): Promise<PrunedMarker | undefined> {
    return this.#store.pruned();
  }

  async verify(anchors: readonly AuditAnchor[] = []): Promise<VerifyReport> {
    const { verifyRows } = await import('./verify.js');
    await this.#settle();
    const rows = async function* (entries: AsyncIterable<StoredAuditEntry>): AsyncGenerator<Row> {
      for await (const e of entries) yield [e.seq, e.ts, e.actor, e.action, e.resource, e.prevHash, e.hash];
    };
    return verifyRows(rows(this.#rows()), {
      hasher: this.#hasher,
      pruned: await this.pruned(),
      anchors,
      now: this.#now(),
    });
  }

  /**
   * Beyond the cap the oldest entries go, in batches of a hundredth of the cap (one entry at a
   * time cost a query on every append, and grew the process).
   */
  async #prune(store: AuditStore, seq: number): Promise<void> {
    const through = seq - this.#maxEntries;
    if (through < 1 || seq < this.#pruneAt) return;
    this.#pruneAt = seq + Math.max(1, Math.floor(this.#maxEntries / 100));
    // Housekeeping: a failure leaves more entries than the cap until the next batch prunes (up to
    // a later seq, so these too). It never fails the write: an append that ran in a transaction
    // of its own (standalone) is committed already, and the entries must not be written again.
    await store.prune(through, this.#now().toISOString()).catch(() => {});
  }
}

function entryOf(row: StoredAuditEntry): AuditEntry {
  const { seq, ts, actor, action, resource, prevHash, hash } = row;
  return { seq, ts, actor, action: JSON.parse(action) as AuditAction, resource, prev_hash: prevHash, hash };
}
