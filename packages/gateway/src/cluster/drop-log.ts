/**
 * The warning for what this process drops from the deployment bus, rate-limited: whoever can
 * write the bus can write it a million times, and one line per message would flood the log (and
 * the disk under it). The first drop is logged at once with its fields; the ones after it within
 * `everyMs` are counted, and said in one summary line when that time is up; a quiet period ends
 * the summaries, so the next drop is again logged at once. At a stop the count still to say is
 * said (`flush`): drops counted in a process's last minute were lost with it.
 */
import type { GatewayLogger } from '../types.js';

/** At most one summary line a minute per kind of drop. */
const SUMMARY_EVERY_MS = 60_000;

export class DropLog {
  #timer: NodeJS.Timeout | undefined;
  #since = 0;

  /** `message` names what was dropped. */
  constructor(
    private readonly log: GatewayLogger,
    private readonly message: string,
    private readonly everyMs = SUMMARY_EVERY_MS,
  ) {}

  drop(fields: Record<string, unknown>): void {
    if (this.#timer !== undefined) {
      this.#since++;
      return;
    }
    this.log('warn', this.message, fields);
    // Unref'd: a summary still to come never keeps the process alive (a stop flushes it).
    this.#timer = setTimeout(() => this.#summarize(), this.everyMs).unref();
  }

  /** Says the drops counted since the last line, if any, and ends the period (at a stop). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#say();
  }

  #summarize(): void {
    this.#timer = this.#say() ? setTimeout(() => this.#summarize(), this.everyMs).unref() : undefined;
  }

  /** Logs the count if there is one; whether it did. */
  #say(): boolean {
    if (this.#since === 0) return false;
    this.log('warn', `${this.message} (${this.#since} more since the last line)`, { dropped: this.#since });
    this.#since = 0;
    return true;
  }
}
