/**
 * How the stores reach PostgreSQL: one statement on the pool, a unit of several statements in a
 * transaction on one client, and a group transaction (ControlStoreGroup.transaction) whose client
 * every call of the group made inside it joins.
 *
 * Inside a group transaction, each store call runs within its own SAVEPOINT, one call at a time:
 * PostgreSQL aborts a whole transaction on a failed statement, SQLite only the statement, and the
 * contract's callers (like the libSQL file's) may catch a refused call and go on. Which
 * transaction a call is inside is followed through the async context (AsyncLocalStorage), so a
 * group store called from fn's awaits joins fn's transaction instead of waiting on a pool
 * connection for a row lock that fn itself holds.
 *
 * The pool's connections run in pipeline mode (connection.ts): BEGIN, SAVEPOINT and RELEASE
 * SAVEPOINT are written without waiting for their answers and go out with the statement after
 * them, so a transaction costs one round trip more than its statements (the COMMIT), not four.
 * Their answers are still read: a failed BEGIN or RELEASE fails the transaction before COMMIT,
 * and a COMMIT the server turned into a ROLLBACK (the transaction had failed) is an error.
 *
 * Durability: every commit waits for its WAL to reach disk (synchronous_commit on), except a
 * transaction whose every call was made `relaxed` (the spend and usage accounting of a turn, a
 * run claim that holds no session, a session value written with `relaxed`: docs/postgres.md,
 * "Warm turn latency", says why those and no others). It commits with
 * synchronous_commit off: visible to every connection at once and never lost when a gateway
 * dies, but a crash of the PostgreSQL server or its machine may lose the last ~0.6 s of such
 * commits. One ordinary call in the same transaction (an audit entry) makes it wait again.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { Connection } from '../connection.js';

/** What runs SQL: the pool, or the client of an open transaction. */
export interface Sql {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

interface OpenTransaction {
  client: pg.PoolClient;
  /** False once committed or rolled back: a call started from fn that outlives it uses the pool. */
  open: boolean;
  /** Calls inside take turns: savepoints must nest, not interleave. */
  tail: Promise<unknown>;
  savepoints: number;
  /** Statements sent without waiting (BEGIN, RELEASE SAVEPOINT): checked before COMMIT. */
  unanswered: Promise<unknown>[];
  /** A call made `relaxed` joined it. */
  relaxed: boolean;
  /** An ordinary call joined it: the commit waits for the WAL flush whatever else joined. */
  flushed: boolean;
}

/** `relaxed`: the call's writes may commit without waiting for the WAL flush (see above). */
export type Durability = 'flushed' | 'relaxed';

/** Sends `text` on `client` without waiting; its failure is kept for `tx` to report, never unhandled. */
function sendAhead(tx: OpenTransaction, text: string): Promise<unknown> {
  const answer = tx.client.query(text);
  answer.catch(() => {});
  tx.unanswered.push(answer);
  return answer;
}

export class PgDatabase {
  readonly #connection: Connection;
  readonly #current = new AsyncLocalStorage<OpenTransaction>();

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  /**
   * One unit of work that needs no transaction of its own (a single statement). Relaxed, it
   * runs in one on its own, sent in one go (BEGIN, the statement, SET LOCAL, COMMIT): one round
   * trip, like the statement alone, and no WAL flush. So relaxed, `work` sends its statement
   * before it awaits anything (see batch).
   */
  run<T>(work: (sql: Sql) => Promise<T>, durability: Durability = 'flushed'): Promise<T> {
    const tx = this.#joined();
    if (tx) return this.#inSavepoint(tx, work, durability);
    if (durability === 'relaxed') return this.#begin(work, durability, true);
    return this.#explained(() => work(this.#pool()));
  }

  /**
   * A unit of statements that need no answer before the others: `work` sends them all before it
   * awaits anything, and the COMMIT goes out right behind them, so the unit costs one round trip
   * instead of two. A statement sent after that is refused. Joined, a savepoint like atomic's.
   */
  batch<T>(work: (sql: Sql) => Promise<T>, durability: Durability = 'flushed'): Promise<T> {
    const tx = this.#joined();
    return tx ? this.#inSavepoint(tx, work, durability) : this.#begin(work, durability, true);
  }

  /** A unit of several statements: BEGIN ... COMMIT on one client, or a savepoint when joined. */
  atomic<T>(work: (sql: Sql) => Promise<T>, durability: Durability = 'flushed'): Promise<T> {
    const tx = this.#joined();
    return tx ? this.#inSavepoint(tx, work, durability) : this.#begin(work, durability);
  }

  /** Runs fn in one transaction that every call of this database made inside it joins. */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#joined()) return fn();
    return this.#begin(async (_sql, tx) => this.#current.run(tx, fn));
  }

  /**
   * `work` on a connection of its own, outside any transaction, for what must not run in one or
   * must outlive one: a session advisory lock held across many transactions, CREATE INDEX
   * CONCURRENTLY, session settings of one build. The connection is closed after, not given back
   * to the pool, so none of that session state (locks, settings) reaches another caller, and a
   * lock held by a process that dies goes with its connection.
   */
  async session<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.#explained(() => this.#connection.pool.connect());
    // A connection the server ends mid-session (terminated, restarted) fails the statement
    // under way; without a listener its 'error' event would end the process.
    const ignore = () => {};
    client.on('error', ignore);
    try {
      return await this.#explained(() => work(client));
    } finally {
      client.release(true);
      client.off('error', ignore);
    }
  }

  #pool(): Sql {
    const { pool, explain } = this.#connection;
    return {
      query: (text, values) =>
        pool.query(text, values).catch((error: unknown) => Promise.reject(explain(error))),
    } as Sql;
  }

  /** A call made now joins a transaction (`transaction(fn)`'s, followed through the async context). */
  get inTransaction(): boolean {
    return this.#joined() !== undefined;
  }

  #joined(): OpenTransaction | undefined {
    const tx = this.#current.getStore();
    return tx?.open ? tx : undefined;
  }

  async #explained<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.#connection.explain(error);
    }
  }

  /** `tx`'s client until its COMMIT is sent; a statement after it is refused (batch). */
  #untilCommit(tx: OpenTransaction, committing: () => boolean): pg.PoolClient {
    const query = (text: string, values?: unknown[]) => {
      if (committing()) {
        throw new Error('a statement sent after its COMMIT: a batch sends every statement before it awaits');
      }
      return tx.client.query(text, values);
    };
    return { query } as unknown as pg.PoolClient;
  }

  async #begin<T>(
    work: (sql: Sql, tx: OpenTransaction) => Promise<T>,
    durability?: Durability,
    together = false,
  ): Promise<T> {
    const client = await this.#explained(() => this.#connection.pool.connect());
    // A connection lost while the transaction holds it between statements (the server gone, a
    // network cut) fails the next statement; without a listener its 'error' event would end
    // the process (the pool listens only to idle connections).
    client.on('error', ignoreLost);
    const tx: OpenTransaction = {
      client,
      open: true,
      tail: Promise.resolve(),
      savepoints: 0,
      unanswered: [],
      relaxed: durability === 'relaxed',
      flushed: false,
    };
    let broken: unknown;
    const sent: { commit?: Promise<pg.QueryResult> } = {};
    const commit = () => {
      if (tx.relaxed && !tx.flushed) sendAhead(tx, 'SET LOCAL synchronous_commit = off');
      sent.commit = client.query('COMMIT');
      sent.commit.catch(() => {});
      return sent.commit;
    };
    try {
      sendAhead(tx, 'BEGIN');
      // Sent together (batch): the COMMIT goes out right behind the statements work sent before
      // awaiting. A failed statement is the error reported (the COMMIT is then answered
      // ROLLBACK, and the ROLLBACK below finds no transaction).
      const pending = work(together ? this.#untilCommit(tx, () => sent.commit !== undefined) : client, tx);
      if (together) commit();
      const result = await pending;
      const committed = sent.commit ?? commit();
      // Answered before the COMMIT (in order): a failure among them rolls the transaction back.
      await this.#explained(() => Promise.all(tx.unanswered));
      const { command } = await this.#explained(() => committed);
      if (command !== 'COMMIT')
        throw new Error(`the transaction was rolled back (the server answered ${command})`);
      return result;
    } catch (error) {
      // A connection that failed mid-transaction is not given back to the pool.
      await client.query('ROLLBACK').catch((rollbackFailed: unknown) => {
        broken = rollbackFailed;
      });
      throw error;
    } finally {
      tx.open = false;
      client.off('error', ignoreLost);
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /** `work` on the open transaction's client, in its own savepoint, after the calls before it. */
  #inSavepoint<T>(
    tx: OpenTransaction,
    work: (sql: Sql) => Promise<T>,
    durability: Durability = 'flushed',
  ): Promise<T> {
    if (durability === 'relaxed') tx.relaxed = true;
    else tx.flushed = true;
    const turn = async () => {
      const name = `oxydra_call_${++tx.savepoints}`;
      const saved = sendAhead(tx, `SAVEPOINT ${name}`);
      try {
        const result = await work(tx.client);
        sendAhead(tx, `RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        // The savepoint must exist to go back to it: when it failed, that is the error to report.
        await saved;
        await tx.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
        throw error;
      }
    };
    const result = tx.tail.then(turn, turn);
    tx.tail = result.catch(() => undefined);
    return this.#explained(() => result);
  }
}

/** A lost connection's 'error' event, answered by the statement it fails instead. */
function ignoreLost(): void {}
