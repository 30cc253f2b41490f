/**
 * Per-user concurrency: the one limit on how many agent runs a user has going at once, shared by
 * every door into the kernel (gateway WebSocket and HTTP turns, A2A tasks, MCP run_agent and the
 * scheduler's runs), so a chat turn and a scheduled run of one user count against the same slots.
 * The limit is `[gateway] max_concurrent_turns_per_user` (default 10).
 *
 * Two ways in, kept as each door behaved before: `acquire` waits in arrival order (FIFO) until a
 * slot is free, leaving the queue when its signal aborts (chat turns, scheduled runs);
 * `tryAcquire` refuses at once with a message saying why (A2A and MCP, whose callers cannot be
 * queued).
 *
 * Who holds a slot: a user, or a token that acts for no user (an owner or admin token over A2A or
 * MCP). Keying such a token by itself keeps one token from starving the others; a user's tokens
 * and clients share that user's slots, so no user can take another's.
 */

/** Whose slots a run takes. */
export type Holder = { userId: string } | { tokenId: string };

/** Gives the slot back (once; later calls do nothing). */
export type Release = () => void;

interface Waiter {
  grant: () => void;
}

const keyOf = (holder: Holder): string =>
  'userId' in holder ? `user:${holder.userId}` : `token:${holder.tokenId}`;

export class Admission {
  readonly #running = new Map<string, number>();
  readonly #waiting = new Map<string, Waiter[]>();
  #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  /** A host that takes the limit from elsewhere (the gateway's own limits) sets it once at start. */
  setLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit ${limit}: use a whole number ≥ 1`);
    this.#limit = limit;
  }

  /** Resolves with the release once a slot is free (FIFO); rejects with the signal's reason if it aborts first. */
  acquire(holder: Holder, signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const key = keyOf(holder);
    const free = this.#take(key);
    if (free) return Promise.resolve(free);
    return new Promise((resolve, reject) => {
      const queue = this.#waiting.get(key) ?? [];
      this.#waiting.set(key, queue);
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.#releaser(key));
        },
      };
      const onAbort = () => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        if (queue.length === 0) this.#waiting.delete(key);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  /** The release when a slot is free now, else the refusal to show the caller. */
  tryAcquire(holder: Holder): { release: Release } | { refusal: string } {
    const key = keyOf(holder);
    // Waiters come first: taking a slot past them would break the FIFO promise.
    const release = this.#waiting.has(key) ? undefined : this.#take(key);
    if (release) return { release };
    const who = 'userId' in holder ? `user ${holder.userId}` : 'this token';
    return {
      refusal: `${who} already has ${this.running(holder)} agent runs going (the limit, [gateway] max_concurrent_turns_per_user); wait for one to finish or cancel one`,
    };
  }

  /** Runs holding a slot now (tests, health). */
  running(holder: Holder): number {
    return this.#running.get(keyOf(holder)) ?? 0;
  }

  /** Runs waiting for a slot now. */
  waiting(holder: Holder): number {
    return this.#waiting.get(keyOf(holder))?.length ?? 0;
  }

  #take(key: string): Release | undefined {
    const now = this.#running.get(key) ?? 0;
    if (now >= this.#limit) return undefined;
    this.#running.set(key, now + 1);
    return this.#releaser(key);
  }

  #releaser(key: string): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.#waiting.get(key);
      const next = queue?.shift();
      if (queue?.length === 0) this.#waiting.delete(key);
      // The slot passes straight to the next waiter, so the running count stays the same.
      if (next) next.grant();
      else {
        const count = (this.#running.get(key) ?? 1) - 1;
        if (count <= 0) this.#running.delete(key);
        else this.#running.set(key, count);
      }
    };
  }
}
