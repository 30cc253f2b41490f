/**
 * What an assembly learns from files another process may change (the active persona, the skill
 * folders) is looked at most once a second, per key: a look (a few stats) per spawn was on every
 * turn's path, and a change made elsewhere (the CLI while a gateway runs) shows a second later.
 */

/** How long a look holds: a change made since is seen after this. */
export const FRESH_MS = 1000;

export class FreshLooks<K, V> {
  readonly #seen = new Map<K, { at: number; value: V }>();

  /** What `look` gave for `key` within the last FRESH_MS, else what it gives now (not kept when it throws). */
  get(key: K, look: () => V): V {
    const now = performance.now();
    const seen = this.#seen.get(key);
    if (seen && now - seen.at < FRESH_MS) return seen.value;
    const value = look();
    this.#seen.set(key, { at: now, value });
    return value;
  }

  /** The next `get` of every key looks again. */
  clear(): void {
    this.#seen.clear();
  }
}
