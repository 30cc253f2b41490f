/**
 * Streams a `user` token may hold open at once on one door (the live feed, A2A's streamed
 * answers and task subscriptions): each is a subscription its events are rendered and written
 * to, so a thousand of them cost a thousand times each event, and memory. A client needs a few.
 * Operator and admin tokens (the owner's tools, bridges) are not capped.
 */
import type { Principal } from './auth.js';

export class StreamSlots {
  readonly #open = new Map<string, number>();

  constructor(readonly max: number) {}

  /**
   * A slot for one stream of this token, or undefined when it holds `max` already. The release
   * function frees it (once, however often it is called).
   */
  take(principal: Principal): (() => void) | undefined {
    if (principal.role !== 'user') return () => {};
    const token = principal.tokenId;
    const open = this.#open.get(token) ?? 0;
    if (open >= this.max) return undefined;
    this.#open.set(token, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(token) ?? 1) - 1;
      if (left > 0) this.#open.set(token, left);
      else this.#open.delete(token);
    };
  }
}
