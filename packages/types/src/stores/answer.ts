/**
 * How a store answers. Every contract is declared once for both modes: `async` is the contract
 * every backend implements and the shared suites test (PostgreSQL, several processes on one
 * database: a call is a round trip); `sync` is what an embedded file opened through the
 * synchronous libSQL binding can also offer (the kernel database, whose services still answer
 * synchronously today). A sync store is turned into an async one without new code
 * (packages/kernel/src/store/libsql/async-view.ts); the reverse is impossible, which is why the
 * services move to `async` once their callers await them (issue 33).
 */
export type StoreMode = 'sync' | 'async';

/** What a store method of mode `M` returns for a result `T`. */
export type StoreAnswer<T, M extends StoreMode> = M extends 'sync' ? T : Promise<T>;
