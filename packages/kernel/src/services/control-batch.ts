/**
 * Group commit over the control store group: writes made within one tick of the event loop (the
 * audit entries of 200 agents spawned together, their spend settles, usage rows) go in ONE
 * transaction of the group at the end of the tick instead of one each (measured on the kernel
 * database: the two commits of a turn were 40% of a persistence-off turn; on PostgreSQL each is a
 * round trip). A caller that must know its write is stored awaits `committed()` (or `flush()`),
 * which resolves after the commit that holds it. Commits run one after another, in the order
 * they were asked for. A process killed with SIGKILL loses at most the writes of its last tick,
 * none that a caller was told were committed.
 */
import type { ControlStoreGroup, ControlStores } from '@oxydra/types';

/** One job of a batch: `write` runs inside the transaction, `done` after it ended. */
export interface BatchJob {
  write(stores: ControlStores): Promise<void>;
  /**
   * Its write is one store call, atomic on its own (an audit append): alone in a commit, it runs
   * without the group's transaction around it, in the call's own, which on PostgreSQL sends its
   * COMMIT with its statements (one round trip, not two).
   */
  standalone?: boolean;
  /** Called once the transaction committed (`error` undefined) or was rolled back. */
  done?(error: unknown): void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

const batches = new WeakMap<ControlStoreGroup, ControlBatch>();
const RETRY_MS = 1000;
const emitWarning = (message: string) => process.emitWarning(message);

export class ControlBatch {
  #jobs: BatchJob[] = [];
  /** Cancels the scheduled commit, when one is. */
  #scheduled: (() => void) | undefined;
  /** The last commit failed: the next is tried a second later, not at the end of the tick. */
  #failing = false;
  #waiters: Waiter[] = [];
  /** The last commit asked for (settles when it ended); commits run in turn after it. */
  #last: Promise<void> = Promise.resolve();

  private constructor(
    private readonly stores: ControlStoreGroup,
    private readonly warn: (message: string) => void,
  ) {}

  /** The group's one batch (made on first use). */
  static of(stores: ControlStoreGroup, warn: (message: string) => void = emitWarning): ControlBatch {
    let batch = batches.get(stores);
    if (!batch) {
      batch = new ControlBatch(stores, warn);
      batches.set(stores, batch);
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
    if (this.#jobs.length === 0) return this.#last.catch(() => undefined);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Commits what waits now, in one transaction (after the commit in progress); rejects when it could not. */
  flush(): Promise<void> {
    this.#scheduled?.();
    this.#scheduled = undefined;
    const jobs = this.#jobs;
    const waiters = this.#waiters;
    if (jobs.length === 0) return this.#last.catch(() => undefined);
    this.#jobs = [];
    this.#waiters = [];
    const commit = this.#last.then(
      () => this.#commit(jobs, waiters),
      () => this.#commit(jobs, waiters),
    );
    this.#last = commit;
    return commit;
  }

  async #commit(jobs: readonly BatchJob[], waiters: readonly Waiter[]): Promise<void> {
    let failure: unknown;
    try {
      const [only] = jobs;
      if (jobs.length === 1 && only?.standalone) await only.write(this.stores);
      else
        await this.stores.transaction(async (stores) => {
          for (const job of jobs) await job.write(stores);
        });
    } catch (error) {
      failure = error ?? new Error('the control stores refused the commit');
    }
    this.#failing = failure !== undefined;
    for (const job of jobs) job.done?.(failure);
    for (const waiter of waiters) {
      if (failure === undefined) waiter.resolve();
      else waiter.reject(failure);
    }
    if (failure !== undefined) throw failure;
  }

  #flushQuietly(): void {
    this.#scheduled = undefined;
    this.flush().catch((error: unknown) => {
      // The jobs were told (done) and keep what they must retry; nobody awaits a timer.
      this.warn(`could not commit to the control stores: ${(error as Error).message}`);
    });
  }
}
