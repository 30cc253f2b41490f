/**
 * A token bucket per connection: `burst` frames at once, refilled at `perSecond`. Counts how many
 * frames in a row it refused, so a connection that keeps flooding can be closed.
 */
import type { Clock } from './types.js';

export class TokenBucket {
  #tokens: number;
  #last: number;
  /** Frames refused since the last one accepted. */
  refusedInARow = 0;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    readonly clock: Clock,
  ) {
    this.#tokens = burst;
    this.#last = clock.now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      this.refusedInARow = 0;
      return true;
    }
    this.refusedInARow += 1;
    return false;
  }
}
