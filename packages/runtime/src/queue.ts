/**
 * The run's event channel. The loop pushes without waiting for readers; the events are kept, so
 * a consumer that starts late, or several consumers (a printer and a recorder), each see the
 * whole run from its first event. A run's events are bounded by its budgets, so keeping them is
 * cheap next to the conversation itself.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private closed = false;
  private waiters: (() => void)[] = [];

  /** Adds an event; after close it is dropped (a tool reporting progress after the run ended). */
  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Everything pushed so far. */
  snapshot(): readonly T[] {
    return this.items;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let index = 0;
    while (true) {
      if (index < this.items.length) {
        yield this.items[index++] as T;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
