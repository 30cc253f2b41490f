/**
 * A warning that anyone can make the gateway write, rate-limited: whoever can write the
 * deployment bus can write it a million times, and whoever reaches the port can send a million
 * requests with a bad token; one line each would flood the log (and the disk under it). The
 * first drop is logged at once with its fields; the ones after it within `everyMs` are counted,
 * and said in one summary line when that time is up; a quiet period ends the summaries, so the
 * next drop is again logged at once. Counts are kept per key (a remote address; one key for the
 * bus), at most `maxKeys` of them: drops from further keys are counted together as "other
 * addresses", so a flood from many addresses costs bounded memory too. At a stop the count still
 * to say is said (`flush`): drops counted in a process's last minute were lost with it.
 */
import type { GatewayLogger } from './types.js';

/** At most one summary line a minute per kind of drop (and per key). */
const SUMMARY_EVERY_MS = 60_000;
/** Keys counted apart at most; past them, one count for all the others. */
const MAX_KEYS = 1024;
/** The key drops past MAX_KEYS are counted under (no address is empty). */
const OTHERS = '';

export interface DropLogOptions {
  everyMs?: number;
  maxKeys?: number;
  /**
   * The summary line of `count` drops from `key` (undefined: the drops of keys past maxKeys, or
   * of a log without keys) in the last `everyMs`; default `<message> (N more since the last line)`.
   */
  summary?: (count: number, key: string | undefined, everyMs: number) => string;
}

export class DropLog {
  #timer: NodeJS.Timeout | undefined;
  /** Per key, the drops counted since its last line (0: logged this period, none since). */
  readonly #since = new Map<string, number>();
  readonly #everyMs: number;
  readonly #maxKeys: number;

  /** `message` names what was dropped; a number is the period (the bus's helpers pass one). */
  constructor(
    private readonly log: GatewayLogger,
    private readonly message: string,
    options: number | DropLogOptions = {},
  ) {
    const { everyMs = SUMMARY_EVERY_MS, maxKeys = MAX_KEYS } =
      typeof options === 'number' ? { everyMs: options } : options;
    this.#everyMs = everyMs;
    this.#maxKeys = maxKeys;
    if (typeof options === 'object' && options.summary) this.#summary = options.summary;
  }

  #summary: NonNullable<DropLogOptions['summary']> = (count) =>
    `${this.message} (${count} more since the last line)`;

  /** One drop from `key` (a remote address; none: the log's one count). */
  drop(fields: Record<string, unknown>, key = OTHERS): void {
    const counted = this.#since.get(key);
    if (counted !== undefined) {
      this.#since.set(key, counted + 1);
      return;
    }
    if (this.#since.size >= this.#maxKeys) {
      // Bounded: a new address past the bound is counted with the others, not remembered.
      this.#since.set(OTHERS, (this.#since.get(OTHERS) ?? 0) + 1);
      return;
    }
    this.log('warn', this.message, fields);
    this.#since.set(key, 0);
    // Unref'd: a summary still to come never keeps the process alive (a stop flushes it).
    this.#timer ??= setTimeout(() => this.#summarize(), this.#everyMs).unref();
  }

  /** Says the drops counted since the last line, if any, and ends the period (at a stop). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#say();
    this.#since.clear();
  }

  #summarize(): void {
    this.#say();
    this.#timer =
      this.#since.size > 0 ? setTimeout(() => this.#summarize(), this.#everyMs).unref() : undefined;
  }

  /** Logs each key's count; a key quiet this period is forgotten (its next drop is logged at once). */
  #say(): void {
    for (const [key, count] of [...this.#since]) {
      if (count === 0) {
        this.#since.delete(key);
        continue;
      }
      const fields: Record<string, unknown> = { dropped: count };
      if (key !== OTHERS) fields.remote = key;
      this.log('warn', this.#summary(count, key === OTHERS ? undefined : key, this.#everyMs), fields);
      this.#since.set(key, 0);
    }
  }
}
