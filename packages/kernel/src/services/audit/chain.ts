/**
 * The audit chain (Oxios's AuditTrail): an append-only hash chain in the kernel database. Each
 * append reads the head and writes the next entry under the database's write lock, so two
 * processes on one workspace extend one chain; inside a caller's transaction the entry commits
 * (or rolls back) with what it records. Beyond `maxEntries` the oldest entries are pruned and
 * a "pruned" marker keeps the hash the first remaining entry links to (nothing is rehashed).
 */
import { type KernelDb, writeTransaction } from '../../store/kernel-db.js';
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

export class AuditChain {
  readonly #db: KernelDb;
  readonly #hasher: EntryHasher;
  readonly #maxEntries: number;
  readonly #now: () => Date;
  // Prepared once: an append is on the path of every tool call.
  readonly #insert;
  readonly #head;

  constructor(db: KernelDb, hasher: EntryHasher, options: { maxEntries: number; now?: () => Date }) {
    this.#db = db;
    this.#hasher = hasher;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? (() => new Date());
    this.#insert = db.prepare(
      'INSERT INTO audit_log (seq, ts, actor, action_type, action, resource, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#head = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').raw(true);
  }

  append(record: AuditRecord): AuditEntry {
    return writeTransaction(this.#db, () => {
      const head = this.head();
      const seq = (head?.seq ?? 0) + 1;
      const prev = head?.hash ?? GENESIS;
      const ts = this.#now().toISOString();
      const action = canonicalJson(record.action);
      const resource = record.resource ?? '';
      const hash = this.#hasher.hash(seq, ts, record.actor, action, resource, prev);
      this.#insert.run(seq, ts, record.actor, record.action.type, action, resource, prev, hash);
      this.#prune(seq);
      return {
        seq,
        ts,
        actor: record.actor,
        action: record.action,
        resource,
        prev_hash: prev,
        hash,
      };
    });
  }

  head(): AuditHead | undefined {
    const row = this.#head.get() as [number, string] | undefined;
    return row ? { seq: row[0], hash: row[1] } : undefined;
  }

  count(): number {
    return Number(this.#value('SELECT COUNT(*) FROM audit_log'));
  }

  /** Oldest first; with `limit`, the newest `limit` entries (still oldest first). */
  list(filter: AuditFilter = {}): AuditEntry[] {
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
    for (const row of this.#db.prepare(`SELECT ${COLUMNS} FROM audit_log ORDER BY seq`).raw(true).iterate()) {
      yield entryOf(row as Row);
    }
  }

  pruned(): PrunedMarker | undefined {
    const value = this.#value("SELECT value FROM audit_meta WHERE key = 'pruned'");
    return typeof value === 'string' ? (JSON.parse(value) as PrunedMarker) : undefined;
  }

  verify(anchors: readonly AuditAnchor[] = []): VerifyReport {
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

  #prune(seq: number): void {
    const through = seq - this.#maxEntries;
    if (through < 1) return;
    const first = Number(this.#value('SELECT MIN(seq) FROM audit_log'));
    if (first > through) return;
    const hash = this.#value('SELECT hash FROM audit_log WHERE seq = ?', through);
    this.#db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(through);
    const marker: PrunedMarker = { through, hash: String(hash), at: this.#now().toISOString() };
    this.#db
      .prepare(
        "INSERT INTO audit_meta (key, value) VALUES ('pruned', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      )
      .run(JSON.stringify(marker));
  }
}

function entryOf(row: Row): AuditEntry {
  const [seq, ts, actor, action, resource, prev_hash, hash] = row;
  return { seq, ts, actor, action: JSON.parse(action) as AuditAction, resource, prev_hash, hash };
}
