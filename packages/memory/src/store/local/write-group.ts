/**
 * Group commit for a local memory file: write jobs that arrive while the connection is busy
 * share one BEGIN IMMEDIATE ... COMMIT, each failing alone (in its own SAVEPOINT, see below).
 *
 * Why: a kernel running many agents appends many turns at once, and each append was its own
 * transaction; the COMMIT (writing the WAL frames of every page touched) cost more than the
 * append's statements. Sharing it changes nothing a caller can see: a job's promise settles
 * only after the COMMIT that holds its writes (a completed turn is on disk before its caller
 * goes on), and a job that fails rolls back to its savepoint alone, so it still writes all of
 * its rows or none while the others in the group commit. A failed COMMIT fails every job in it.
 *
 * Jobs must use only the transaction they are given (never the client: it waits for this
 * transaction) and must not wait on anything slow (a network call) while holding it. Remote
 * clients keep one transaction per job: their transactions are interactive round trips.
 *
 * A group first runs its jobs one after another with no savepoint (SAVEPOINT and RELEASE were
 * two of a stored kernel turn's ~30 statements per job, 5.8 jobs a turn); only when one of them
 * fails is the transaction rolled back and the group run again, each job in its savepoint as
 * above, so the failing one fails alone. A job may therefore run twice, its first run rolled
 * back: it must do nothing but its statements on the transaction (no effect outside it).
 */
import type { Client, Transaction } from '@libsql/client';

type WriteJob<T> = (tx: Transaction) => Promise<T>;

/** Taken when this module loads: a test that fakes timers later must not stall every write. */
const nextTick = setImmediate;

/** Most jobs one transaction takes: bounds how long the first of them waits for the COMMIT. */
const MAX_GROUP = 64;

interface Pending {
  job: WriteJob<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

async function alone<T>(client: Client, job: WriteJob<T>): Promise<T> {
  const tx = await client.transaction('write');
  try {
    const result = await job(tx);
    await tx.commit();
    return result;
  } finally {
    tx.close();
  }
}

class WriteGroup {
  readonly #client: Client;
  #pending: Pending[] = [];
  #flushing = false;

  constructor(client: Client) {
    this.#client = client;
  }

  run<T>(job: WriteJob<T>): Promise<T> {
    if (this.#client.protocol !== 'file') return alone(this.#client, job);
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ job, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // After the work already queued on this tick (other agents' turns reaching their own
        // writes): a group forms from everything written meanwhile, at the cost of one tick.
        nextTick(() => void this.#flush());
      }
    });
  }

  /** Commits groups until nothing is pending; jobs that arrive meanwhile join the next group. */
  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        // Waiting for the connection is when the next group gathers.
        let tx = await this.#begin();
        if (tx === undefined) return;
        const group = this.#pending.splice(0, MAX_GROUP);
        if (group.length > 1) {
          if (await this.#allTogether(tx, group)) continue;
          // A job failed: everything was rolled back; again, each job in its savepoint.
          tx = await this.#begin(group);
          if (tx === undefined) return;
        }
        await this.#commitGroup(tx, group);
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** A write transaction; undefined when none could be opened (`also` and every pending job failed). */
  async #begin(also: readonly Pending[] = []): Promise<Transaction | undefined> {
    try {
      return await this.#client.transaction('write');
    } catch (error) {
      for (const waiting of [...also, ...this.#pending.splice(0)]) waiting.reject(error);
      return undefined;
    }
  }

  /**
   * Every job of `group` in `tx` with no savepoint, then the COMMIT; true when the group is
   * settled (committed, or its COMMIT failed every job as in #commitGroup). False when a job
   * failed: the transaction is rolled back, no job settled, and the caller runs them again.
   */
  async #allTogether(tx: Transaction, group: readonly Pending[]): Promise<boolean> {
    const results: unknown[] = [];
    try {
      for (const waiting of group) results.push(await waiting.job(tx));
    } catch {
      try {
        tx.close();
      } catch {
        // The next transaction's BEGIN reports a connection that cannot go on.
      }
      return false;
    }
    try {
      await tx.commit();
    } catch (error) {
      for (const waiting of group) waiting.reject(error);
      return true;
    } finally {
      tx.close();
    }
    group.forEach((waiting, i) => {
      waiting.resolve(results[i]);
    });
    return true;
  }

  async #commitGroup(tx: Transaction, group: Pending[]): Promise<void> {
    const results = new Map<Pending, unknown>();
    const failed = new Map<Pending, unknown>();
    try {
      if (group.length === 1) {
        const [only] = group as [Pending];
        try {
          results.set(only, await only.job(tx));
        } catch (error) {
          failed.set(only, error);
        }
      } else {
        for (const waiting of group) {
          await tx.execute('SAVEPOINT write_group');
          try {
            results.set(waiting, await waiting.job(tx));
            await tx.execute('RELEASE write_group');
          } catch (error) {
            results.delete(waiting);
            failed.set(waiting, error);
            // This job's rows go; the transaction and the other jobs' rows stay.
            await tx.execute('ROLLBACK TO write_group');
            await tx.execute('RELEASE write_group');
          }
        }
      }
      if (results.size > 0) await tx.commit();
    } catch (error) {
      // The transaction itself failed (its COMMIT, or SQLite rolled it back): nothing in it
      // was written, so every job not already failed on its own fails with this error.
      for (const waiting of group) if (!failed.has(waiting)) failed.set(waiting, error);
      results.clear();
    } finally {
      tx.close();
    }
    for (const waiting of group) {
      if (failed.has(waiting)) waiting.reject(failed.get(waiting));
      else waiting.resolve(results.get(waiting));
    }
  }
}

const groups = new WeakMap<Client, WriteGroup>();

/**
 * Runs `job` in a write transaction on `client`, committed together with the other jobs
 * waiting for the same client (see the file comment); settles after that COMMIT.
 */
export function groupWrite<T>(client: Client, job: WriteJob<T>): Promise<T> {
  let group = groups.get(client);
  if (group === undefined) {
    group = new WriteGroup(client);
    groups.set(client, group);
  }
  return group.run(job);
}
