/**
 * The PostgreSQL AuditStore: the chain in audit_log, its newest entry in the one-row audit_head.
 * An append locks the head row (SELECT ... FOR UPDATE) in its transaction, links the entries
 * after it (sealing again with the caller's `seal` any entry linked after another head), inserts
 * them and moves the head: two processes on one database extend one chain and never fork it.
 * The entries as given are inserted by a statement sent right behind the lock, not after its
 * answer (the pool pipelines), that does nothing unless the head is the one they were linked
 * after: the usual case costs one round trip, a moved head one more. An append in no caller's
 * transaction sends its COMMIT with them too (the statement then fails on a moved head, and the
 * entries are placed again in a second transaction): one round trip in all, not two.
 */
import type {
  AuditFind,
  AuditSeal,
  AuditStore,
  StoredAuditEntry,
  StoredAuditHead,
  StoredAuditPruned,
} from '@oxydra/types';
import type pg from 'pg';
import type { PgDatabase, Sql } from './database.js';
import { hasCode } from './sql-errors.js';

const COLUMNS = 'seq, ts, actor, action_type, action, resource, prev_hash, hash';
/** The audit_meta key of the pruning marker; notes may not use it. */
const PRUNED = 'pruned';

interface EntryRow {
  seq: number;
  ts: string;
  actor: string;
  action_type: string;
  action: string;
  resource: string;
  prev_hash: string;
  hash: string;
}

const entryOf = (row: EntryRow): StoredAuditEntry => ({
  seq: row.seq,
  ts: row.ts,
  actor: row.actor,
  actionType: row.action_type,
  action: row.action,
  resource: row.resource,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/** The entries' columns as the arrays `unnest` takes, in COLUMNS' order. */
function columnsOf(entries: readonly StoredAuditEntry[]): unknown[] {
  const column = <K extends keyof StoredAuditEntry>(key: K) => entries.map((entry) => entry[key]);
  return [
    column('seq'),
    column('ts'),
    column('actor'),
    column('actionType'),
    column('action'),
    column('resource'),
    column('prevHash'),
    column('hash'),
  ];
}

/**
 * Inserts `entries` and moves the head to the last; only when the head is `after` (if given).
 * `strict`: the statement fails (division by zero, MOVED_HEAD) instead of doing nothing when the
 * head is not `after`, so a COMMIT sent behind it rolls the transaction back.
 */
function place(
  sql: Sql,
  entries: readonly StoredAuditEntry[],
  after?: { seq: number; hash: string },
  strict = false,
) {
  const last = entries.at(-1)!;
  const guard = after ? 'seq = $11 AND hash = $12' : 'true';
  const move = `UPDATE audit_head SET seq = $9, hash = $10 WHERE ${guard}`;
  return sql.query(
    `WITH placed AS (
       INSERT INTO audit_log (${COLUMNS})
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
         $7::text[], $8::text[])
       WHERE EXISTS (SELECT 1 FROM audit_head WHERE ${guard}))
     ${strict ? `, moved AS (${move} RETURNING 1) SELECT 1 / count(*) FROM moved` : move}`,
    [...columnsOf(entries), last.seq, last.hash, ...(after ? [after.seq, after.hash] : [])],
  );
}

/** What a strict placement fails with when the head moved (division_by_zero): nothing else in it divides. */
const MOVED_HEAD = '22012';

/** Whether each entry is linked after the one before it (so after the first's head, all are). */
function chained(entries: readonly StoredAuditEntry[]): boolean {
  return entries.every(
    (entry, i) =>
      i === 0 || (entry.seq === entries[i - 1]!.seq + 1 && entry.prevHash === entries[i - 1]!.hash),
  );
}

async function lockedHead(sql: Sql): Promise<{ seq: number; hash: string }> {
  const { rows } = await sql.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_head FOR UPDATE',
  );
  return rows[0]!;
}

export class PostgresAuditStore implements AuditStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async append(entries: readonly StoredAuditEntry[], seal: AuditSeal): Promise<StoredAuditEntry[]> {
    if (entries.length === 0) return [];
    const first = entries[0]!;
    const expected = { seq: first.seq - 1, hash: first.prevHash };
    let tryAsGiven = chained(entries);
    if (tryAsGiven && !this.#db.inTransaction) {
      // Alone, in a transaction of its own: the lock, the placement as given and the COMMIT go
      // out together, one round trip. A moved head fails the placement, the COMMIT rolls it back,
      // and the entries are placed after the head as it is, in a transaction of their own.
      try {
        await this.#db.batch(async (sql) => {
          await Promise.all([lockedHead(sql), place(sql, entries, expected, true)]);
        });
        return [...entries];
      } catch (error) {
        if (!hasCode(error, MOVED_HEAD)) throw error;
        tryAsGiven = false;
      }
    }
    return this.#db.atomic(async (sql) => {
      const head = lockedHead(sql);
      const asGiven = tryAsGiven ? place(sql, entries, expected) : undefined;
      asGiven?.catch(() => {});
      let tail = await head;
      if (asGiven && (await asGiven).rowCount === 1) return [...entries];
      const stored = entries.map((given) => {
        const seq = tail.seq + 1;
        const prevHash = tail.hash;
        const entry =
          given.seq === seq && given.prevHash === prevHash
            ? given
            : { ...given, seq, prevHash, hash: seal(given, seq, prevHash) };
        tail = entry;
        return entry;
      });
      await place(sql, stored);
      return stored;
    });
  }

  async head(): Promise<StoredAuditHead | undefined> {
    const rows = await this.#rows<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head', []);
    const head = rows[0];
    return head && head.seq > 0 ? { seq: head.seq, hash: head.hash } : undefined;
  }

  async count(): Promise<number> {
    return (await this.#rows<{ n: number }>('SELECT count(*) AS n FROM audit_log', []))[0]?.n ?? 0;
  }

  async range(afterSeq: number, limit: number): Promise<StoredAuditEntry[]> {
    const rows = await this.#rows<EntryRow>(
      `SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map(entryOf);
  }

  async find(filter: AuditFind): Promise<StoredAuditEntry[]> {
    const limit = filter.limit === undefined ? null : Math.max(0, Math.floor(filter.limit));
    const rows = await this.#rows<EntryRow>(
      `SELECT ${COLUMNS} FROM audit_log
       WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR ts >= $2)
         AND ($3::text IS NULL OR action_type = $3)
       ORDER BY seq DESC LIMIT $4`,
      [filter.actor ?? null, filter.since ?? null, filter.actionType ?? null, limit],
    );
    return rows.reverse().map(entryOf);
  }

  async prune(through: number, at: string): Promise<StoredAuditPruned | undefined> {
    return this.#db.atomic(async (sql) => {
      // The head's lock keeps an append from running beside the pruning.
      await lockedHead(sql);
      const { rows } = await sql.query<{ first: number | null; hash: string | null }>(
        'SELECT (SELECT min(seq) FROM audit_log) AS first, (SELECT hash FROM audit_log WHERE seq = $1) AS hash',
        [through],
      );
      const { first, hash } = rows[0]!;
      if (first === null || first > through || hash === null) return undefined;
      const marker: StoredAuditPruned = { through, hash, at };
      await sql.query(
        `WITH gone AS (DELETE FROM audit_log WHERE seq <= $1)
         INSERT INTO audit_meta (key, value) VALUES ($2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [through, PRUNED, JSON.stringify(marker)],
      );
      return marker;
    });
  }

  async pruned(): Promise<StoredAuditPruned | undefined> {
    const value = await this.note(PRUNED);
    return value === undefined ? undefined : (JSON.parse(value) as StoredAuditPruned);
  }

  async note(key: string): Promise<string | undefined> {
    const rows = await this.#rows<{ value: string }>('SELECT value FROM audit_meta WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async addNote(key: string, value: string): Promise<boolean> {
    if (key === PRUNED) throw new Error(`"${PRUNED}" is the pruning marker's key, not a note's`);
    const result = await this.#db.run((sql) =>
      sql.query('INSERT INTO audit_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
        key,
        value,
      ]),
    );
    return (result.rowCount ?? 0) > 0;
  }

  async #rows<R extends object>(text: string, args: unknown[]): Promise<R[]> {
    return (await this.#db.run((sql) => sql.query<R & pg.QueryResultRow>(text, args))).rows;
  }
}
