/**
 * A libSQL client for a local file that runs one operation at a time, in call order.
 *
 * Why: libSQL runs local statements synchronously on the JavaScript thread. With a pool of
 * connections, a second writer in the same process blocks the thread in SQLite's busy handler
 * while the transaction holding the lock cannot take its next step, so both stall for the whole
 * busy timeout and then fail with SQLITE_BUSY (measured: two concurrent transactions, 4 s, one
 * lost). One connection whose users take turns never waits on itself; other processes are
 * still handled by busy_timeout. One connection also means per-connection PRAGMAs
 * (foreign_keys, synchronous) hold for every statement.
 *
 * A transaction holds the turn from `transaction()` until its commit, rollback or close, so
 * callers must always settle it (try/finally) and must use the transaction object, never the
 * client, inside it: a client call there would wait for the transaction that waits for it.
 * That mistake surfaces as an error after QUEUE_WAIT_LIMIT_MS instead of a silent hang.
 */
import type {
  BatchStatement,
  Client,
  InArgs,
  InStatement,
  Replicated,
  ResultSet,
  Transaction,
  TransactionMode,
} from './store/local/client-types.js';

/** Longest wait for the turn before failing: far above any real transaction here. */
export const QUEUE_WAIT_LIMIT_MS = 60_000;

type Release = () => void;

/** A FIFO lock: each acquirer waits for the one before it to release. */
class TurnQueue {
  #tail: Promise<void> = Promise.resolve();

  acquire(waitLimitMs: number): Promise<Release> {
    const previous = this.#tail;
    let open: () => void = () => {};
    this.#tail = new Promise<void>((resolve) => {
      open = resolve;
    });
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        open();
      }
    };
    return new Promise<Release>((resolve, reject) => {
      let gaveUp = false;
      const timer = setTimeout(() => {
        gaveUp = true;
        reject(
          new Error(
            `waited ${waitLimitMs / 1000} s for an open transaction on the memory database to finish; ` +
              'inside a transaction, run statements on the transaction object, not on the client',
          ),
        );
      }, waitLimitMs);
      timer.unref();
      void previous.then(() => {
        clearTimeout(timer);
        // Whoever gave up still owns a place in the line: pass the turn straight on.
        if (gaveUp) release();
        else resolve(release);
      });
    });
  }
}

class SerialTransaction implements Transaction {
  readonly #inner: Transaction;
  readonly #release: Release;

  constructor(inner: Transaction, release: Release) {
    this.#inner = inner;
    this.#release = release;
  }

  execute(stmt: InStatement): Promise<ResultSet> {
    return this.#inner.execute(stmt);
  }
  batch(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.#inner.batch(stmts);
  }
  executeMultiple(sql: string): Promise<void> {
    return this.#inner.executeMultiple(sql);
  }
  async commit(): Promise<void> {
    try {
      await this.#inner.commit();
    } finally {
      this.#release();
    }
  }
  async rollback(): Promise<void> {
    try {
      await this.#inner.rollback();
    } finally {
      this.#release();
    }
  }
  close(): void {
    try {
      this.#inner.close();
    } finally {
      this.#release();
    }
  }
  get closed(): boolean {
    return this.#inner.closed;
  }
}

class SerialClient implements Client {
  readonly #inner: Client;
  readonly #queue = new TurnQueue();
  readonly #waitLimitMs: number;

  constructor(inner: Client, waitLimitMs: number) {
    this.#inner = inner;
    this.#waitLimitMs = waitLimitMs;
  }

  async #inTurn<T>(operation: () => Promise<T>): Promise<T> {
    const release = await this.#queue.acquire(this.#waitLimitMs);
    try {
      return await operation();
    } finally {
      release();
    }
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const stmt: InStatement =
      typeof stmtOrSql === 'string' ? { sql: stmtOrSql, args: args ?? [] } : stmtOrSql;
    return this.#inTurn(() => this.#inner.execute(stmt));
  }
  batch(stmts: BatchStatement[], mode?: TransactionMode): Promise<ResultSet[]> {
    return this.#inTurn(() => this.#inner.batch(stmts, mode));
  }
  migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.#inTurn(() => this.#inner.migrate(stmts));
  }
  async transaction(mode?: TransactionMode): Promise<Transaction> {
    const release = await this.#queue.acquire(this.#waitLimitMs);
    try {
      return new SerialTransaction(await this.#inner.transaction(mode), release);
    } catch (error) {
      release();
      throw error;
    }
  }
  executeMultiple(sql: string): Promise<void> {
    return this.#inTurn(() => this.#inner.executeMultiple(sql));
  }
  sync(): Promise<Replicated> {
    return this.#inTurn(() => this.#inner.sync());
  }
  close(): void {
    this.#inner.close();
  }
  reconnect(): void {
    this.#inner.reconnect();
  }
  get closed(): boolean {
    return this.#inner.closed;
  }
  get protocol(): string {
    return this.#inner.protocol;
  }
}

/** `client` (a single-connection local client) behind a queue; see the file comment. */
export function serialClient(client: Client, waitLimitMs: number = QUEUE_WAIT_LIMIT_MS): Client {
  return new SerialClient(client, waitLimitMs);
}
