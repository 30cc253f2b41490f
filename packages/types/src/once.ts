// Values kept instead of made again: one built at its first use (`once`, how the schemas are
// made), what a look at files another process may change found within the last second
// (`FreshLooks`), and the small schema parts several configuration sections share.
import { z } from 'zod';

/**
 * A value built at its first use and kept. The configuration's and the gateway protocol's zod
 * schemas are made this way, so loading their modules builds nothing: zod 4 makes each schema
 * with all its methods as closures, and building them all at load was ~30 ms of `oxydra
 * gateway`'s start (docs/gateway.md), where a command parses only a few.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

/**
 * A value loaded at its first use and kept once loaded; a load that fails fails the calls waiting
 * for it, and the next call loads again (a store's module, a retriever whose model answers later).
 * `kept()` is the value when loaded, so a hot path need not await.
 */
export function keptOnSuccess<T>(load: () => Promise<T>): { get(): Promise<T>; kept(): T | undefined } {
  let value: T | undefined;
  let loading: Promise<T> | undefined;
  return {
    get() {
      loading ??= load().then(
        (made) => {
          value = made;
          return made;
        },
        (error: unknown) => {
          loading = undefined;
          throw error;
        },
      );
      return loading;
    },
    kept: () => value,
  };
}

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

/** Small schema parts several configuration sections share, each built at its first use. */
export const positiveInt = once(() => z.int().positive());
export const ratio = once(() => z.number().min(0).max(1));
/**
 * An http(s) URL with no user or password in it: fetch refuses a URL that carries them, so it
 * could never work, and the refusal would repeat the password on screen and in the session.
 */
export const httpUrl = once(() =>
  z.url({ protocol: /^https?$/ }).refine((value) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value), {
    message:
      'carries a user name or password, which is never sent from a URL: remove it (a provider takes its key from api_key_env)',
  }),
);
