/**
 * The kernel database's control stores as the async contract (ControlStoreGroup<'async'>), what
 * PostgreSQL offers too and what the kernel's services use. The stores answer at once underneath;
 * a transaction opens BEGIN IMMEDIATE on the database's one connection and keeps it across fn's
 * awaits. As PostgreSQL's group does, the transaction is followed through the async context: the
 * group's stores called from inside fn, and a nested transaction, join it; calls from elsewhere
 * take turns behind it (one at a time, a transaction whole), and any synchronous write on the
 * connection meanwhile is refused rather than joined (kernel-db.ts holdAsync): it would be lost
 * with a rollback. One view per database, like the sync group (control.ts).
 *
 * The write lock is waited for without blocking the thread: BEGIN IMMEDIATE is tried without a
 * busy timeout and tried again after a pause while another connection holds the lock (another
 * process, or another opener in this one whose transaction is itself waiting for this thread),
 * up to the database's busy timeout. A write call outside a transaction runs in one of its own,
 * begun that way; reads need no lock (WAL).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ControlStoreGroup, ControlStores } from '@oxydra/types';
import { BUSY_TIMEOUT_MS, beginWrite, holdAsync, type KernelDb } from '../kernel-db.js';
import { libsqlControlStores } from './control.js';

type Turns = <T>(work: () => T | Promise<T>) => Promise<T>;

/** A sync store's type with every method answering a promise: its async contract's shape. */
type Asynced<S> = {
  [K in keyof S]: S[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : S[K];
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
      const run = typeof key === 'string' && READS.has(key) ? turns : writes;
      return (...args: unknown[]) => run(() => member.apply(target, args));
    },
  });
  return view as unknown as Asynced<S>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** BEGIN IMMEDIATE without blocking the thread: tried without a busy timeout, again after pauses. */
async function beginWithoutBlocking(db: KernelDb): Promise<void> {
  for (let waited = 0, delay = 1; ; waited += delay, delay = Math.min(delay * 2, 50)) {
    // exec, not a prepared statement: libsql runs a prepared PRAGMA once at prepare time.
    db.exec('PRAGMA busy_timeout=0');
    try {
      beginWrite(db);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || waited >= BUSY_TIMEOUT_MS) throw error;
    } finally {
      db.exec(`PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`);
    }
    await pause(delay);
  }
}

/** A transaction of the view while it is open (work scheduled from inside it may outlive it). */
interface Open {
  open: boolean;
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
  const sync = libsqlControlStores(db);
  const current = new AsyncLocalStorage<Open>();
  let tail: Promise<unknown> = Promise.resolve();
  const oneAtATime: Turns = (work) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
  const inside = () => current.getStore()?.open === true;
  // Inside the transaction the calls run at once: it holds the turn already.
  const turns: Turns = (work) => (inside() ? Promise.resolve().then(work) : oneAtATime(work));
  const transaction = <T>(fn: () => T | Promise<T>): Promise<T> => {
    if (inside()) return Promise.resolve().then(fn);
    return oneAtATime(() => {
      const open: Open = { open: true };
      return current.run(open, async () => {
        await beginWithoutBlocking(db);
        holdAsync(db, true);
        try {
          const result = await fn();
          open.open = false;
          holdAsync(db, false);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          open.open = false;
          holdAsync(db, false);
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      });
    });
  };
  const stores: ControlStores<'async'> = {
    tokens: asyncStore(sync.tokens, turns, transaction),
    approvals: asyncStore(sync.approvals, turns, transaction),
    schedules: asyncStore(sync.schedules, turns, transaction),
    audit: asyncStore(sync.audit, turns, transaction),
    spend: asyncStore(sync.spend, turns, transaction),
    usage: asyncStore(sync.usage, turns, transaction),
  };
  return { ...stores, transaction: (fn) => transaction(() => fn(stores)) };
}
