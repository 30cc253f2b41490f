/**
 * The kernel's one event stream: every run's StreamEvents and the lifecycle events, each in an
 * envelope that says which agent (and parent, session, user) it is about, numbered in order of
 * publication. Subscribers filter; a subscriber that reads slowly keeps its own backlog and never
 * slows a run (events are pushed, not awaited).
 */
import type { StreamEvent } from '@oxydra/types';
import type { EventFilter, KernelEvent, LifecycleEvent, Subscription } from '../types.js';

const LIFECYCLE = new Set<string>([
  'agent_spawned',
  'agent_exited',
  'approval_requested',
  'approval_resolved',
]);

/** Tells the kernel's own lifecycle events from the runs' StreamEvents in an envelope. */
export function isLifecycleEvent(event: StreamEvent | LifecycleEvent): event is LifecycleEvent {
  return LIFECYCLE.has(event.type);
}

/** An agent and its ancestors, nearest first: whose tree subscriptions an event reaches. */
export type Lineage = (agentId: string) => readonly string[];

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

/**
 * Subscriptions to a tree (every agent's own turn stream is one) are kept by their root, so an
 * event visits only its agent's lineage (a few levels) and the other subscriptions, never every
 * agent's: publishing stays cheap with thousands of agents running.
 */
export class EventBus {
  #seq = 0;
  /**
   * The subscriptions to each tree, by its root: the one Queue itself while it is alone (nearly
   * always: a turn's own stream), a Set once there are more (in the order they subscribed). A
   * Set per turn for its one subscription was garbage made at every spawn.
   */
  readonly #byRoot = new Map<string, Queue | Set<Queue>>();
  readonly #others = new Set<Queue>();
  #taps: ((event: KernelEvent) => void)[] = [];

  constructor(private readonly lineage: Lineage) {}

  publish(envelope: Omit<KernelEvent, 'seq'>): KernelEvent {
    const event = envelope as KernelEvent;
    event.seq = ++this.#seq;
    if (this.#byRoot.size > 0) {
      for (const root of this.lineage(event.agentId)) {
        const held = this.#byRoot.get(root);
        if (held instanceof Queue) {
          if (matches(held.filter, event)) held.push(event);
        } else if (held) for (const queue of held) if (matches(queue.filter, event)) queue.push(event);
      }
    }
    for (const queue of this.#others) if (matches(queue.filter, event)) queue.push(event);
    for (const tap of this.#taps) tap(event);
    return event;
  }

  /**
   * Calls `listener` with every event as it is published (plugins' event handlers). The
   * listener must not throw or block: it is on every publication's path.
   */
  tap(listener: (event: KernelEvent) => void): () => void {
    this.#taps.push(listener);
    return () => {
      this.#taps = this.#taps.filter((tap) => tap !== listener);
    };
  }

  subscribe(filter: EventFilter = {}): Subscription {
    const root = filter.tree;
    if (root === undefined) {
      const queue = new Queue(filter, (closed) => this.#others.delete(closed));
      this.#others.add(queue);
      return queue;
    }
    const queue = new Queue(filter, (closed) => {
      const held = this.#byRoot.get(root);
      if (held === closed) this.#byRoot.delete(root);
      else if (held instanceof Set) {
        held.delete(closed);
        if (held.size === 0) this.#byRoot.delete(root);
      }
    });
    const held = this.#byRoot.get(root);
    if (held === undefined) this.#byRoot.set(root, queue);
    else if (held instanceof Set) held.add(queue);
    else this.#byRoot.set(root, new Set([held, queue]));
    return queue;
  }

  /** Ends every subscription (the kernel is closing). */
  closeAll(): void {
    for (const queue of [...this.#others]) queue.close();
    for (const held of [...this.#byRoot.values()])
      for (const queue of held instanceof Queue ? [held] : [...held]) queue.close();
  }
}

/** Every field but `tree` (which the bus resolved by lineage). */
function matches(filter: EventFilter, event: KernelEvent): boolean {
  if (filter.agentId !== undefined && event.agentId !== filter.agentId) return false;
  if (filter.sessionId !== undefined && event.sessionId !== filter.sessionId) return false;
  if (filter.userId !== undefined && event.userId !== filter.userId) return false;
  if (filter.types !== undefined && !filter.types.includes(event.event.type)) return false;
  return true;
}
