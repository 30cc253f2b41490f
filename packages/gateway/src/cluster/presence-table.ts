/**
 * What this process knows of who has clients of which session, and of the live feed
 * (presence.ts says how it is told): each other process's last list and when it was heard, and
 * the asks waiting for answers. A process not heard for the stale limit (it died, or its bus is down) watches
 * nothing here any more: nobody goes on publishing for it.
 */
import type { PresenceMessage } from './messages.js';

interface Heard {
  sessions: ReadonlySet<string>;
  feed: boolean;
  at: number;
}

interface Ask {
  waiting: Set<string>;
  done(): void;
}

export class PresenceTable {
  /** The sessions this process has clients of. */
  readonly mine = new Set<string>();
  readonly #others = new Map<string, Heard>();
  readonly #asks = new Map<string, Ask>();

  constructor(
    private readonly staleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Another process's message: its list replaces what was known of it; an answer settles its ask. */
  heard(from: string, message: PresenceMessage): void {
    // No `feed` said: a process of an earlier version, which relays its feed always and is
    // relayed to as it was (its dashboards miss nothing).
    this.#others.set(from, {
      sessions: new Set(message.sessions),
      feed: message.feed ?? true,
      at: this.now(),
    });
    const ask = message.answers === undefined ? undefined : this.#asks.get(message.answers);
    if (ask?.waiting.delete(from) && ask.waiting.size === 0) ask.done();
  }

  /** Whether a live process other than this one has a client of the session. */
  watchedElsewhere(sessionId: string): boolean {
    return this.#anyAlive((other) => other.sessions.has(sessionId));
  }

  /** Whether a live process other than this one has a client of the live feed. */
  feedWatchedElsewhere(): boolean {
    return this.#anyAlive((other) => other.feed);
  }

  /** Whether a process heard within the stale limit is so (the others are forgotten on the way). */
  #anyAlive(test: (other: Heard) => boolean): boolean {
    const now = this.now();
    for (const [id, other] of this.#others) {
      if (now - other.at > this.staleMs) this.#others.delete(id);
      else if (test(other)) return true;
    }
    return false;
  }

  /** The other processes heard within the stale limit. */
  alive(): string[] {
    const now = this.now();
    return [...this.#others].filter(([, other]) => now - other.at <= this.staleMs).map(([id]) => id);
  }

  /**
   * Waits until each of `processes` has answered `ask`, or `timeoutMs`; resolves with the ones
   * that did not answer. Registered before the ask is sent: call it, then send.
   */
  answered(ask: string, processes: Iterable<string>, timeoutMs: number): Promise<string[]> {
    const waiting = new Set(processes);
    if (waiting.size === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#asks.delete(ask);
        resolve([...waiting]);
      };
      const timer = setTimeout(done, timeoutMs);
      this.#asks.set(ask, { waiting, done });
    });
  }

  /** Stops every wait (this process leaves). */
  clear(): void {
    for (const ask of [...this.#asks.values()]) ask.done();
    this.#others.clear();
  }
}
