/**
 * The kernel's one event stream: every run's StreamEvents and the lifecycle events, each in an
 * envelope that says which agent (and parent, session, user) it is about, numbered in order of
 * publication. Subscribers filter; a subscriber that reads slowly keeps its own backlog and never
 * slows a run (events are pushed, not awaited).
 */
import type { EventFilter, KernelEvent, Subscription } from '../types.js';

/** How a subscription asks whether an agent is `root` or one of its descendants. */
export type TreeTest = (agentId: string, root: string) => boolean;

class Queue implements Subscription {
  #items: KernelEvent[] = [];
  #head = 0;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(
    readonly filter: EventFilter,
    private readonly detach: (queue: Queue) => void,
  ) {}

  push(event: KernelEvent): void {
    if (this.#closed) return;
    this.#items.push(event);
    this.#notify();
  }

  /** No more events; what is queued is still read. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.detach(this);
    this.#notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KernelEvent> {
    try {
      while (true) {
        if (this.#head < this.#items.length) {
          const event = this.#items[this.#head++] as KernelEvent;
          // Drop what was read, in batches, so a long-lived subscription does not grow.
          if (this.#head >= 1024) {
            this.#items = this.#items.slice(this.#head);
            this.#head = 0;
          }
          yield event;
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      this.close();
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

export class EventBus {
  #seq = 0;
  readonly #subscriptions = new Set<Queue>();

  constructor(private readonly inTree: TreeTest) {}

  publish(envelope: Omit<KernelEvent, 'seq'>): KernelEvent {
    const event = envelope as KernelEvent;
    event.seq = ++this.#seq;
    for (const subscription of this.#subscriptions) {
      if (this.#matches(subscription.filter, event)) subscription.push(event);
    }
    return event;
  }

  subscribe(filter: EventFilter = {}): Subscription {
    const queue = new Queue(filter, (closed) => this.#subscriptions.delete(closed));
    this.#subscriptions.add(queue);
    return queue;
  }

  /** Ends every subscription (the kernel is closing). */
  closeAll(): void {
    for (const subscription of [...this.#subscriptions]) subscription.close();
  }

  #matches(filter: EventFilter, event: KernelEvent): boolean {
    if (filter.agentId !== undefined && event.agentId !== filter.agentId) return false;
    if (filter.sessionId !== undefined && event.sessionId !== filter.sessionId) return false;
    if (filter.userId !== undefined && event.userId !== filter.userId) return false;
    if (filter.types !== undefined && !filter.types.includes(event.event.type)) return false;
    if (filter.tree !== undefined && !this.inTree(event.agentId, filter.tree)) return false;
    return true;
  }
}
