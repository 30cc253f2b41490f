/**
 * The caps `oxydra budget set` stored, kept in the process between the changes its spend store
 * tells of (SpendStore.watchCaps): every model call asks for two scopes' caps, one read each
 * otherwise. The one home of this rule for every backend: the PostgreSQL store tells of changes
 * through its event bus (NOTIFY, sent when a change commits, from any process), the libSQL store
 * through the file's data_version (store/libsql/spend.ts); a store that tells nothing has its
 * caps read at each call.
 *
 * When a kept value may be stale, and for how long:
 * - A change another process commits: until the store tells of it (PostgreSQL: milliseconds;
 *   libSQL: its poll). A read in flight when any news arrives is not kept (the version moved).
 * - A store that does not listen (no bus, or its connection lost, until it listens again):
 *   nothing is kept, every call reads. What was kept before it went deaf is dropped then.
 * - A store that listens but missed a change (a connection gone silent, not noticed until the
 *   bus's heartbeat fails; a cap written by other means, `oxydra store copy`): a value is kept at
 *   most CAPS_MAX_AGE_MS after its read began.
 *
 * Reads inside a transaction never come here: they go to the transaction's own store (`tx.spend`,
 * budget-calls.ts), so a cap change decides on the cap in force there, never a value kept.
 */
import type { CapsNews, SpendStore } from '@oxydra/types';

/** The most a kept value is trusted, from when its read began. */
export const CAPS_MAX_AGE_MS = 5000;

export type StoredCaps = Record<string, number>;

export class CapsMemory {
  readonly #entries = new Map<string, { caps: Readonly<StoredCaps>; at: number }>();
  /** Moved by every news: a read across it is not kept. */
  #version = 0;
  /** The watches whose store listens now (usually one). */
  readonly #listening = new Set<object>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Keeps values while `store` listens (if it can tell of changes); returns what stops it. */
  follow(store: Pick<SpendStore, 'watchCaps'>): () => void {
    if (!store.watchCaps) return () => {};
    const key = {};
    const stop = store.watchCaps((news: CapsNews) => {
      if (news === 'listening') this.#listening.add(key);
      else if (news === 'deaf') this.#listening.delete(key);
      this.#forget();
    });
    return () => {
      stop();
      this.#listening.delete(key);
      this.#forget();
    };
  }

  /**
   * `scope`'s caps: kept ones while fresh, else `read`'s answer (kept if nothing moved meanwhile).
   * Frozen and handed out as they are, not copied: every model call asks, and the same object
   * while nothing changed lets capsFor keep its answer too (caps.ts).
   */
  get(scope: string, read: () => Promise<StoredCaps>): Promise<Readonly<StoredCaps>> {
    const started = this.#now();
    const kept = this.#entries.get(scope);
    // Not an async function: a kept answer (nearly every call) costs one resolved promise.
    if (kept && this.#listening.size > 0 && started - kept.at < CAPS_MAX_AGE_MS)
      return Promise.resolve(kept.caps);
    return this.#read(scope, read, started);
  }

  async #read(
    scope: string,
    read: () => Promise<StoredCaps>,
    started: number,
  ): Promise<Readonly<StoredCaps>> {
    const version = this.#version;
    const caps = Object.freeze({ ...(await read()) });
    if (this.#listening.size > 0 && version === this.#version) {
      this.#entries.set(scope, { caps, at: started });
    }
    return caps;
  }

  #forget(): void {
    this.#version++;
    this.#entries.clear();
  }
}
