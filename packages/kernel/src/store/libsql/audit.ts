/**
 * The libSQL AuditStore over the kernel database's audit_log and audit_meta tables (the embedded
 * default of the contract in @oxydra/types). An append reads the head and inserts under the
 * database's write lock (BEGIN IMMEDIATE, or the transaction open on the connection), so two
 * processes on one file extend one chain. Statements are prepared once: an append is on the path
 * of every tool call.
 */
import type {
  AuditFind,
  AuditSeal,
  AuditStore,
  StoredAuditEntry,
  StoredAuditHead,
  StoredAuditPruned,
} from '@oxydra/types';
import { atomically, type KernelDb } from '../kernel-db.js';
import { RowInserter } from './row-inserter.js';

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
