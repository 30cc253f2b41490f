/**
 * The audit chain (Oxios's AuditTrail): an append-only hash chain in the kernel database. Each
 * append reads the head and writes the next entry under the database's write lock, so two
 * processes on one workspace extend one chain; inside a caller's transaction the entry commits
 * (or rolls back) with what it records. Beyond `maxEntries` the oldest entries are pruned and
 * a "pruned" marker keeps the hash the first remaining entry links to (nothing is rehashed).
 */
import { type KernelDb, writeTransaction } from '../../store/kernel-db.js';
import { WriteBatch } from '../../store/write-batch.js';
import { type AuditAction, type AuditEntry, canonicalJson, type EntryHasher, GENESIS } from './entry.js';
import { type AuditAnchor, type VerifyReport, verifyRows } from './verify.js';

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
const COLUMNS = 'seq, ts, actor, action, resource, prev_hash, hash';

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
  readonly #hasher: EntryHasher;
  readonly #maxEntries: number;
  readonly #now: () => Date;
  readonly #batch: WriteBatch;
  // Prepared once: an append is on the path of every tool call.
  readonly #insert;
  readonly #head;
  readonly #first;
  readonly #hashAt;
  readonly #deleteThrough;
  readonly #setPruned;
  /** Entries hashed but not yet committed, oldest first (they wait for the tick's commit). */
  #pending: AuditEntry[] = [];
  /** Pruning runs when the newest seq reaches this (entries beyond the cap go in batches). */
  #pruneAt = 0;

  constructor(db: KernelDb, hasher: EntryHasher, options: { maxEntries: number; now?: () => Date }) {
    this.#db = db;
    this.#hasher = hasher;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? (() => new Date());
    this.#batch = WriteBatch.of(db);
    this.#insert = db.prepare(
      'INSERT INTO audit_log (seq, ts, actor, action_type, action, resource, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#head = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').raw(true);
    this.#first = db.prepare('SELECT MIN(seq) FROM audit_log').raw(true);
    this.#hashAt = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').raw(true);
    this.#deleteThrough = db.prepare('DELETE FROM audit_log WHERE seq <= ?');
    this.#setPruned = db.prepare(
      "INSERT INTO audit_meta (key, value) VALUES ('pruned', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
  }

  /**
   * Hashes and links the entry after the chain's head (the committed one, or the last entry
   * waiting for this tick's commit). Without `grouped` it is committed before this returns.
   */
  append(record: AuditRecord, options: AppendOptions = {}): AuditEntry {
    if (!options.grouped || this.#db.inTransaction) {
      // Committed now: with what waits (one transaction) or inside the caller's transaction.
      if (this.#pending.length > 0) this.#batch.flush();
      return writeTransaction(this.#db, () => {
        const entry = this.#link(record, this.#committedHead());
        this.#write([entry]);
        return entry;
      });
    }
    const tail = this.#pending.at(-1) ?? this.#committedHead();
    const entry = this.#link(record, tail);
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
    return this.#committedHead();
  }

  readonly #job = {
    write: () => {
      // Under the write lock: another process may have appended since these were hashed; then
      // they are linked again after its head (same objects, so callers see the final seq/hash).
      const head = this.#committedHead();
      const first = this.#pending[0];
      if (first && (first.seq !== (head?.seq ?? 0) + 1 || first.prev_hash !== (head?.hash ?? GENESIS))) {
        let tail = head;
        for (const entry of this.#pending) {
          Object.assign(entry, this.#link(entry, tail));
          tail = entry;
        }
      }
      this.#write(this.#pending);
    },
    done: (error: unknown) => {
      // Committed: they are in the table now. Rolled back: they wait for the next commit.
      if (error === undefined) this.#pending = [];
      else this.#batch.add(this.#job);
    },
  };

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

  #write(entries: readonly AuditEntry[]): void {
    for (const e of entries) {
      const action = this.#actionText.get(e) ?? canonicalJson(e.action);
      this.#insert.run(e.seq, e.ts, e.actor, e.action.type, action, e.resource, e.prev_hash, e.hash);
    }
    const last = entries.at(-1);
    if (last) this.#prune(last.seq);
  }

  #committedHead(): AuditHead | undefined {
    const row = this.#head.get() as [number, string] | undefined;
    return row ? { seq: row[0], hash: row[1] } : undefined;
  }

  /** The committed head (what waits for this tick's commit is committed first). */
  head(): AuditHead | undefined {
    this.#settle();
    return this.#committedHead();
  }

  count(): number {
    this.#settle();
    return Number(this.#value('SELECT COUNT(*) FROM audit_log'));
  }

  /** Oldest first; with `limit`, the newest `limit` entries (still oldest first). */
  list(filter: AuditFilter = {}): AuditEntry[] {
    this.#settle();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.agent !== undefined) {
      where.push('actor = ?');
      args.push(filter.agent.includes(':') ? filter.agent : `agent:${filter.agent}`);
    }
    if (filter.since !== undefined) {
      where.push('ts >= ?');
      args.push(filter.since);
    }
    if (filter.type !== undefined) {
      where.push('action_type = ?');
      args.push(filter.type);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    const rows = this.#db
      .prepare(`SELECT ${COLUMNS} FROM audit_log ${clause} ORDER BY seq DESC ${limit}`)
      .raw(true)
      .all(...args) as Row[];
    return rows.reverse().map(entryOf);
  }

  /** Every entry, oldest first, without holding them all in memory (export). */
  *entries(): Generator<AuditEntry> {
    this.#settle();
    for (const row of this.#db.prepare(`SELECT ${COLUMNS} FROM audit_log ORDER BY seq`).raw(true).iterate()) {
      yield entryOf(row as Row);
    }
  }

  pruned(): PrunedMarker | undefined {
    const value = this.#value("SELECT value FROM audit_meta WHERE key = 'pruned'");
    return typeof value === 'string' ? (JSON.parse(value) as PrunedMarker) : undefined;
  }

  verify(anchors: readonly AuditAnchor[] = []): VerifyReport {
    this.#settle();
    const rows = this.#db.prepare(`SELECT ${COLUMNS} FROM audit_log ORDER BY seq`).raw(true).iterate();
    return verifyRows(rows as Iterable<Row>, {
      hasher: this.#hasher,
      pruned: this.pruned(),
      anchors,
      now: this.#now(),
    });
  }

  /** The first column of the first row (libsql's pluck() is not reliable). */
  #value(sql: string, ...args: unknown[]): unknown {
    const row = this.#db
      .prepare(sql)
      .raw(true)
      .get(...args) as unknown[] | undefined;
    return row?.[0];
  }

  /**
   * Beyond the cap the oldest entries go, in batches of a hundredth of the cap (one entry at a
   * time cost a MIN(seq) query and three prepares on every append, and grew the process).
   */
  #prune(seq: number): void {
    const through = seq - this.#maxEntries;
    if (through < 1 || seq < this.#pruneAt) return;
    this.#pruneAt = seq + Math.max(1, Math.floor(this.#maxEntries / 100));
    const first = Number((this.#first.get() as unknown[] | undefined)?.[0]);
    if (first > through) return;
    const hash = (this.#hashAt.get(through) as unknown[] | undefined)?.[0];
    this.#deleteThrough.run(through);
    const marker: PrunedMarker = { through, hash: String(hash), at: this.#now().toISOString() };
    this.#setPruned.run(JSON.stringify(marker));
  }
}

function entryOf(row: Row): AuditEntry {
  const [seq, ts, actor, action, resource, prev_hash, hash] = row;
  return { seq, ts, actor, action: JSON.parse(action) as AuditAction, resource, prev_hash, hash };
}
