/**
 * Group commit for the kernel database: writes made within one tick of the event loop (the
 * audit entries of 200 agents spawned together, their spend settles) go in ONE transaction at
 * the end of the tick instead of one BEGIN IMMEDIATE/COMMIT each (measured: the two commits of
 * a turn were 40% of a persistence-off turn). A caller that must know its write is on disk
 * awaits `committed()` (or calls `flush()`), which resolves after the commit that holds it.
 *
 * Any other write transaction on the database first commits what waits (writeTransaction's
 * hook), so the order of this process's writes is kept and a read-modify-write transaction
 * (a budget reservation) sees every settle before it. A process killed with SIGKILL loses at
 * most the writes of its last tick, none that a caller was told were committed.
 */
import { type KernelDb, refuseWhileHeldAsync, setBeforeWrite } from './kernel-db.js';

/** One job of a batch: `write` runs inside the transaction, `done` after it ended. */
export interface BatchJob {
  write(): void;
  /** Called once the transaction committed (`error` undefined) or was rolled back. */
  done?(error: unknown): void;
}

const batches = new WeakMap<KernelDb, WriteBatch>();
const RETRY_MS = 1000;
const emitWarning = (message: string) => process.emitWarning(message);

export class WriteBatch {
  #jobs: BatchJob[] = [];
  /** Cancels the scheduled commit, when one is. */
  #scheduled: (() => void) | undefined;
  /** The last commit failed: the next is tried a second later, not at the end of the tick. */
  #failing = false;
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  private constructor(
    private readonly db: KernelDb,
    private readonly warn: (message: string) => void,
  ) {}

  /** The database's one batch (made on first use). */
  static of(db: KernelDb, warn: (message: string) => void = emitWarning): WriteBatch {
    let batch = batches.get(db);
    if (!batch) {
      batch = new WriteBatch(db, warn);
      batches.set(db, batch);
      const made = batch;
      setBeforeWrite(db, () => made.flush());
    }
    return batch;
  }

  get pending(): number {
    return this.#jobs.length;
  }

  /** Queues a job for the commit at the end of this tick. */
  add(job: BatchJob): void {
    this.#jobs.push(job);
    if (this.#scheduled !== undefined) return;
    if (this.#failing) {
      const timer = setTimeout(() => this.#flushQuietly(), RETRY_MS);
      timer.unref();
      this.#scheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.#flushQuietly());
      this.#scheduled = () => clearImmediate(immediate);
    }
  }

  /** Resolves once everything queued so far is committed (rejects when that commit failed). */
  committed(): Promise<void> {
    if (this.#jobs.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Commits what waits now, in one transaction; throws when it could not. */
  flush(): void {
    this.#scheduled?.();
    this.#scheduled = undefined;
    const jobs = this.#jobs;
    const waiters = this.#waiters;
    if (jobs.length === 0) return;
    this.#jobs = [];
    this.#waiters = [];
    let failure: unknown;
    try {
      this.#commit(jobs);
    } catch (error) {
      failure = error;
    }
    this.#failing = failure !== undefined;
    for (const job of jobs) job.done?.(failure);
    for (const waiter of waiters) {
      if (failure === undefined) waiter.resolve();
      else waiter.reject(failure);
    }
    if (failure !== undefined) throw failure;
  }

  #commit(jobs: readonly BatchJob[]): void {
    // Inside a caller's transaction (a store that began one by hand) the jobs join it.
    if (this.db.inTransaction) {
      refuseWhileHeldAsync(this.db);
      for (const job of jobs) job.write();
      return;
    }
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const job of jobs) job.write();
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  #flushQuietly(): void {
    try {
      this.flush();
    } catch (error) {
      // The jobs were told (done) and keep what they must retry; nobody awaits a timer.
      this.warn(`could not commit to the kernel database: ${(error as Error).message}`);
    }
  }
}
