/**
 * Slack pushes (a Socket Mode envelope, an Events API request) and waits for our
 * acknowledgement; `receive` pulls. The inbox sits between: each delivery waits here, unanswered,
 * until the host has stored it (`acknowledge(cursor)`), so a crash before the store's commit has
 * Slack deliver it again. Slack's own retries of a delivery (the same event_id) join the one
 * waiting, or are answered at once when it was stored already: one update per event.
 */
import type { ChannelUpdate } from '@oxydra/types';
import type { SlackIncoming } from './events.js';

/** More deliveries than this waiting unstored: refused (Slack retries them later). */
const MAX_WAITING = 1000;
/** Event ids remembered as stored, so a late retry of one is answered and dropped. */
const MAX_REMEMBERED = 10_000;
/** A receive() with nothing to return ends after this long (the host simply asks again). */
const LONG_POLL_MS = 25_000;

interface Waiting {
  incoming: SlackIncoming;
  /** Each delivery of it (the first and Slack's retries), answered together. */
  settle: { resolve: () => void; reject: (error: Error) => void }[];
}

export class PushInbox {
  readonly #waiting: Waiting[] = [];
  readonly #stored = new Set<string>();
  #wake: (() => void) | undefined;
  #closed = false;

  /** One delivery from Slack: resolves once stored (answer Slack then), rejects when closing. */
  deliver(incoming: SlackIncoming): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the channel is closing'));
    if (this.#stored.has(incoming.key)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const same = this.#waiting.find((w) => w.incoming.key === incoming.key);
      if (same) {
        same.settle.push({ resolve, reject });
        return;
      }
      if (this.#waiting.length >= MAX_WAITING) {
        reject(new Error(`${MAX_WAITING} deliveries are waiting to be stored; Slack will retry this one`));
        return;
      }
      this.#waiting.push({ incoming, settle: [{ resolve, reject }] });
      this.#wake?.();
    });
  }

  /**
   * Every update not yet stored, in arrival order, waiting for one when there is none. An update
   * handed out before and not acknowledged (the host failed to store it) is handed out again.
   */
  async next(signal: AbortSignal): Promise<ChannelUpdate[]> {
    if (this.#waiting.length === 0 && !this.#closed && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, LONG_POLL_MS);
        signal.addEventListener('abort', done, { once: true });
        this.#wake = done;
      });
    }
    return this.#waiting.map((w) => w.incoming.update);
  }

  /** The updates up to `cursor` are stored: their deliveries are answered. */
  acknowledge(cursor: string): void {
    const at = this.#waiting.findIndex((w) => w.incoming.update.cursor === cursor);
    if (at < 0) return;
    for (const done of this.#waiting.splice(0, at + 1)) {
      this.#remember(done.incoming.key);
      for (const { resolve } of done.settle) resolve();
    }
  }

  /** Unstored deliveries are refused, so Slack delivers them again to the next process. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiting.splice(0))
      for (const { reject } of w.settle) reject(new Error('the channel closed before storing it'));
    this.#wake?.();
  }

  #remember(key: string): void {
    this.#stored.add(key);
    if (this.#stored.size > MAX_REMEMBERED) this.#stored.delete(this.#stored.values().next().value!);
  }
}
