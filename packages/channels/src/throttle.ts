/**
 * Streaming an answer by editing one message, within the platform's rate limit: at most one
 * edit per interval (Telegram allows about one a second per chat), always showing the newest
 * text, never the same text twice, one edit in flight at a time. A failed edit is reported and
 * the stream goes on (the final answer is sent through the outbox either way). The first edit
 * waits `firstDelayMs` after the first text: an answer that ends by then goes out as one final
 * edit, at once, instead of a streamed edit and a final one an interval later.
 */
import { type Clock, systemClock } from '@oxydra/runtime';

export class EditThrottle {
  #lastAt = Number.NEGATIVE_INFINITY;
  /** When the first text came (undefined: none yet); the first edit waits firstDelayMs from it. */
  #firstAt: number | undefined;
  #shown: string;
  #latest: string;
  #scheduled: unknown;
  #inFlight: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly edit: (text: string) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly timer: Clock = systemClock,
    /** What the message shows already (its placeholder). */
    shown = '',
    private readonly firstDelayMs = 0,
  ) {
    this.#shown = shown;
    this.#latest = shown;
  }

  /** The text to show now; edited at once if the interval has passed, else at its end. */
  update(text: string): void {
    if (this.#stopped) return;
    this.#latest = text;
    if (this.#scheduled !== undefined) return;
    const now = this.timer.now();
    this.#firstAt ??= now;
    const wait = Math.max(this.#lastAt + this.intervalMs, this.#firstAt + this.firstDelayMs) - now;
    if (wait <= 0) this.#fire();
    else
      this.#scheduled = this.timer.setTimeout(() => {
        this.#scheduled = undefined;
        this.#fire();
      }, wait);
  }

  /** Stops streaming: no more edits; resolves when the one in flight has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#scheduled !== undefined) this.timer.clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    await this.#inFlight;
  }

  /** How long until another edit is allowed (the final one waits this long). */
  waitMs(): number {
    return Math.max(0, this.#lastAt + this.intervalMs - this.timer.now());
  }

  #fire(): void {
    if (this.#stopped || this.#latest === this.#shown) return;
    const text = this.#latest;
    this.#shown = text;
    this.#lastAt = this.timer.now();
    this.#inFlight = this.#inFlight.then(() => this.edit(text)).catch(this.onError);
  }
}
