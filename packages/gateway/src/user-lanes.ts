/**
 * Per-user turn concurrency: at most `limit` turns run at once for one user; the rest wait
 * in arrival order (FIFO). A waiter whose signal aborts leaves the queue without a slot.
 */
export class UserLanes {
  readonly #running = new Map<string, number>();
  readonly #waiting = new Map<string, Array<{ grant: () => void }>>();

  constructor(readonly limit: number) {}

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(userId: string, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if ((this.#running.get(userId) ?? 0) < this.limit) {
      this.#running.set(userId, (this.#running.get(userId) ?? 0) + 1);
      return Promise.resolve(this.#releaser(userId));
    }
    return new Promise((resolve, reject) => {
      const queue = this.#waiting.get(userId) ?? [];
      this.#waiting.set(userId, queue);
      const waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.#releaser(userId));
        },
      };
      const onAbort = () => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        if (queue.length === 0) this.#waiting.delete(userId);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  /** Turns running now for the user (for tests and health). */
  running(userId: string): number {
    return this.#running.get(userId) ?? 0;
  }

  waiting(userId: string): number {
    return this.#waiting.get(userId)?.length ?? 0;
  }

  #releaser(userId: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.get(userId)?.shift();
      if (this.#waiting.get(userId)?.length === 0) this.#waiting.delete(userId);
      // The slot passes straight to the next waiter, so the running count stays the same.
      if (next) next.grant();
      else {
        const count = (this.#running.get(userId) ?? 1) - 1;
        if (count <= 0) this.#running.delete(userId);
        else this.#running.set(userId, count);
      }
    };
  }
}
