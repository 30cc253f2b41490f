/**
 * How a contract suite reaches a store implementation: `open` makes a fresh, empty store (a new
 * libSQL file in a temp folder, a new PostgreSQL schema) and `another`, where the backend can,
 * opens a second handle on the same data (another connection, as a second process would), so
 * the suites can race two writers. Suites import vitest and @oxydra/types only (testkit is layer 2).
 */
import { afterEach, beforeEach } from 'vitest';
export interface StoreHandle<S> {
  store: S;
  close(): Promise<void>;
}

export interface OpenedStore<S> extends StoreHandle<S> {
  /**
   * A second handle on the same data (another connection) that can wait for the first inside this
   * process. Leave it out where it cannot: a local libSQL file's lock wait blocks the event loop,
   * so its two-process races are tested with child processes instead (store-processes.test.ts).
   */
  another?(): Promise<StoreHandle<S>>;
}

export type StoreOpener<S> = () => Promise<OpenedStore<S>>;

/** The error `work` rejects with (undefined when it resolves), for checking what was refused. */
export async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => undefined,
    (error: unknown) => error ?? new Error('rejected with nothing'),
  );
}

/** Strings that break naive SQL, FTS queries, JSON or byte-length assumptions. */
export const HOSTILE_TEXT = [
  `it's "quoted"`,
  "'); drop table x; --",
  'NEAR AND OR NOT * ^ : ( ) -x +y',
  'ü 🎉 日本語 \u200d \u0301e',
  'back\\slash %_ wildcard',
] as const;

/** Opens a fresh store before each test (handing it to `use`) and closes it after. */
export function openEach<S>(open: StoreOpener<S>, use: (opened: OpenedStore<S>) => void): void {
  let opened: OpenedStore<S> | undefined;
  beforeEach(async () => {
    opened = await open();
    use(opened);
  });
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
}

/** A second handle on the store's data: `another` where the backend offers it, else the same store. */
export async function secondHandle<S>(opened: OpenedStore<S>): Promise<StoreHandle<S>> {
  return opened.another ? opened.another() : { store: opened.store, close: async () => {} };
}

/** The store open for the running test, as `openEach` hands it over. */
export interface CurrentStore<S> {
  readonly store: S;
  readonly opened: OpenedStore<S>;
}

/** `openEach` for suites that read the open store through one object instead of variables. */
export function currentEach<S>(open: StoreOpener<S>): CurrentStore<S> {
  let opened: OpenedStore<S> | undefined;
  openEach(open, (next) => {
    opened = next;
  });
  const now = () => {
    if (!opened) throw new Error('no store is open outside a test');
    return opened;
  };
  return {
    get store() {
      return now().store;
    },
    get opened() {
      return now();
    },
  };
}

/** Runs `race` with a second handle on the same data (secondHandle), closing it after. */
export async function withSecondHandle<S>(
  opened: OpenedStore<S>,
  race: (second: S) => Promise<void>,
): Promise<void> {
  const second = await secondHandle(opened);
  try {
    await race(second.store);
  } finally {
    await second.close();
  }
}
