/**
 * The live gateway events a Discord channel keeps until the host takes them (while it stores a
 * batch). A flood of messages (a busy server, a raid) must not grow the process without bound:
 * past either bound every event kept is dropped and counted, and the adapter reads their
 * conversations again with REST, as after a lost session.
 */
import type { DiscordEvent } from './events.js';

export interface BufferLimits {
  events: number;
  bytes: number;
}

const DEFAULT_BUFFER_LIMITS: BufferLimits = { events: 1000, bytes: 8 * 1024 * 1024 };

export class LiveBuffer {
  readonly limits: BufferLimits;
  /** Events not yet handed out, in arrival order, and their size as JSON. */
  #events: DiscordEvent[] = [];
  #bytes = 0;
  /** Events dropped since the last takeDropped(). */
  #dropped = 0;

  constructor(limits: BufferLimits = DEFAULT_BUFFER_LIMITS) {
    this.limits = limits;
  }

  /** Keeps `event`; false when it overflowed the bounds, and everything kept was dropped. */
  keep(event: DiscordEvent): boolean {
    const size = Buffer.byteLength(JSON.stringify(event));
    if (this.#events.length + 1 > this.limits.events || this.#bytes + size > this.limits.bytes) {
      this.#dropped += this.#events.length + 1;
      this.#events = [];
      this.#bytes = 0;
      return false;
    }
    this.#events.push(event);
    this.#bytes += size;
    return true;
  }

  /** Every event kept, handed out (the buffer is then empty). */
  take(): DiscordEvent[] {
    this.#bytes = 0;
    return this.#events.splice(0);
  }

  /** How many were dropped since the last call (0 when none). */
  takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }

  get length(): number {
    return this.#events.length;
  }
}
