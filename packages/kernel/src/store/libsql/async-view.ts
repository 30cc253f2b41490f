/**
 * The kernel database's control stores as the async contract (ControlStoreGroup<'async'>), what
 * PostgreSQL offers too and what the kernel's services use. The stores answer at once underneath;
 * a transaction opens BEGIN IMMEDIATE on the database's one connection and keeps it across fn's
 * awaits: fn's stores run at once, calls through the group's own stores take turns behind it
 * (one at a time, a transaction whole), so inside fn use only the stores it is given (a nested
 * `transaction` of the group would wait for itself), and any synchronous write on the connection
 * meanwhile is refused rather than joined (kernel-db.ts holdAsync): it would be lost with a
 * rollback. The async context is not followed (AsyncLocalStorage would put a promise hook on
 * every promise of the process: +20% CPU a kernel turn, measured). One view per database, like
 * the sync group (control.ts), and the same store instances (kernel-db.ts storeOn). The stores a
 * one-shot run does not use (tokens, approvals, schedules) load at their first call.
 *
 * The write lock is waited for without blocking the thread: BEGIN IMMEDIATE is tried without a
 * busy timeout and tried again after a pause while another connection holds the lock (another
 * process, or another opener in this one whose transaction is itself waiting for this thread),
 * up to the database's busy timeout. A write call outside a transaction runs in one of its own,
 * begun that way; reads need no lock (WAL).
 */
import { type ControlStoreGroup, type ControlStores, keptOnSuccess } from '@oxydra/types';
import { BUSY_TIMEOUT_MS, holdAsync, inTransaction, type KernelDb, storeOn } from '../kernel-db.js';
import type { LibsqlApprovalStore } from './approvals.js';
import { LibsqlAuditStore, LibsqlSpendStore, LibsqlUsageStore } from './ledgers.js';
import type { LibsqlScheduleStore } from './schedules.js';
import type { LibsqlTokenStore } from './tokens.js';

type Turns = <T>(work: () => T | Promise<T>) => Promise<T>;

/** Methods that answer at once in both contracts (a watch's stop function): handed through. */
const SAME_IN_BOTH = new Set(['watchCaps'] as const);
type SameInBoth = typeof SAME_IN_BOTH extends Set<infer K> ? K : never;

/** A sync store's type with every method answering a promise: its async contract's shape. */
type Asynced<S> = {
  [K in keyof S]: K extends SameInBoth
    ? S[K]
    : S[K] extends (...args: infer A) => infer R
      ? (...args: A) => Promise<R>
      : S[K];
};

/** The store methods that only read: they run without the write lock. */
const READS = new Set([
  'get',
  'list',
  'findUsable',
  'standing',
  'listPending',
  'listAll',
  'named',
  'enabledFor',
  'due',
  'nextDueAt',
  'running',
  'getRun',
  'history',
  'head',
  'count',
  'range',
  'find',
  'pruned',
  'note',
  'used',
  'totals',
  'caps',
  'scopesWithCaps',
  'report',
]);

/**
 * `store` with each method answering a promise (a throw becomes a rejection): reads run through
 * `turns`, writes through `writes` (a transaction of their own, or the one they are inside).
 */
function asyncStore<S extends object>(store: S, turns: Turns, writes: Turns): Asynced<S> {
  const view = new Proxy(store, {
    get(target, key) {
      const member = Reflect.get(target, key, target) as unknown;
      if (typeof member !== 'function') return member;
      if (SAME_IN_BOTH.has(key as SameInBoth)) return member.bind(target);
      const run = typeof key === 'string' && READS.has(key) ? turns : writes;
      return (...args: unknown[]) => run(() => member.apply(target, args));
    },
  });
  return view as unknown as Asynced<S>;
}

/**
 * asyncStore for a store whose module loads at its first call (`load`, kept after). The module
 * loads before the call takes its turn, so no write lock is held meanwhile; calls made while it
 * loads take their turns in the order they were made.
 */
function lazyAsyncStore<S extends object>(load: () => Promise<S>, turns: Turns, writes: Turns): Asynced<S> {
  const loaded = keptOnSuccess(load);
  const view = new Proxy({} as S, {
    get(_target, key) {
      // Not a thenable: an awaited view is the view.
      if (typeof key !== 'string' || key === 'then') return undefined;
      const run = READS.has(key) ? turns : writes;
      return (...args: unknown[]) => {
        const call = (target: S) =>
          run(() => (Reflect.get(target, key, target) as (...a: unknown[]) => unknown).apply(target, args));
        const store = loaded.kept();
        return store ? call(store) : loaded.get().then(call);
      };
    },
  });
  return view as unknown as Asynced<S>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The busy timeout dropped, BEGIN IMMEDIATE, the timeout restored: one exec (one call into the
 * binding, where three were ~8 of a library run's statements). exec stops at the statement that
 * fails, so a refused BEGIN leaves the timeout at 0 for the caller to restore. exec, not a
 * prepared statement: libsql runs a prepared PRAGMA once at prepare time.
 */
const BEGIN_WITHOUT_WAITING = `PRAGMA busy_timeout=0; BEGIN IMMEDIATE; PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`;

/** BEGIN IMMEDIATE without blocking the thread: tried without a busy timeout, again after pauses. */
async function beginWithoutBlocking(db: KernelDb): Promise<void> {
  // A transaction open already (not this view's: it takes turns) is left to the caller's error.
  const open = inTransaction(db);
  for (let waited = 0, delay = 1; ; waited += delay, delay = Math.min(delay * 2, 50)) {
    try {
      db.exec(BEGIN_WITHOUT_WAITING);
      return;
    } catch (error) {
      // Stopped before the restoring PRAGMA (or at it, the lock taken: let go of it).
      if (!open && inTransaction(db)) db.exec('ROLLBACK');
      db.exec(`PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`);
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || waited >= BUSY_TIMEOUT_MS) throw error;
    }
    await pause(delay);
  }
}

const views = new WeakMap<KernelDb, ControlStoreGroup<'async'>>();

export function asyncControlStores(db: KernelDb): ControlStoreGroup<'async'> {
  let group = views.get(db);
  if (!group) {
    group = asyncView(db);
    views.set(db, group);
  }
  return group;
}

function asyncView(db: KernelDb): ControlStoreGroup<'async'> {
  const audit = storeOn(db, LibsqlAuditStore);
  const spend = storeOn(db, LibsqlSpendStore);
  const usage = storeOn(db, LibsqlUsageStore);
  const tokens = (): Promise<LibsqlTokenStore> =>
    import('./tokens.js').then(({ LibsqlTokenStore }) => storeOn(db, LibsqlTokenStore));
  const approvals = (): Promise<LibsqlApprovalStore> =>
    import('./approvals.js').then(({ LibsqlApprovalStore }) => storeOn(db, LibsqlApprovalStore));
  const schedules = (): Promise<LibsqlScheduleStore> =>
    import('./schedules.js').then(({ LibsqlScheduleStore }) => storeOn(db, LibsqlScheduleStore));
  let tail: Promise<unknown> = Promise.resolve();
  /** Turns taken and not yet ended (a transaction holds one while it is open). */
  let taken = 0;
  const oneAtATime: Turns = (work) => {
    // Nobody holds the connection: a call that does not await (every store method) runs now,
    // without queueing behind a settled tail (three promises less a call on the turn's path).
    if (taken === 0) {
      try {
        const result = work();
        if (!(result instanceof Promise)) return Promise.resolve(result);
        taken += 1;
        const run = result.finally(() => {
          taken -= 1;
        });
        tail = run.catch(() => undefined);
        return run;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    taken += 1;
    const run = tail.then(work, work).finally(() => {
      taken -= 1;
    });
    tail = run.catch(() => undefined);
    return run;
  };
  const transaction = <T>(fn: () => T | Promise<T>): Promise<T> =>
    oneAtATime(async () => {
      await beginWithoutBlocking(db);
      holdAsync(db, true);
      try {
        const result = await fn();
        holdAsync(db, false);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        holdAsync(db, false);
        if (inTransaction(db)) db.exec('ROLLBACK');
        throw error;
      }
    });
  const view = (reads: Turns, writes: Turns): ControlStores<'async'> => ({
    tokens: lazyAsyncStore(tokens, reads, writes),
    approvals: lazyAsyncStore(approvals, reads, writes),
    schedules: lazyAsyncStore(schedules, reads, writes),
    audit: asyncStore(audit, reads, writes),
    spend: asyncStore(spend, reads, writes),
    usage: asyncStore(usage, reads, writes),
  });
  // fn's stores run at once: the transaction holds the turn already.
  const now: Turns = async (work) => work();
  const bound = view(now, now);
  return { ...view(oneAtATime, transaction), transaction: (fn) => transaction(() => fn(bound)) };
}
