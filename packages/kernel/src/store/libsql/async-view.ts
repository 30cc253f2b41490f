/**
 * The kernel database's control stores as the async contract (ControlStoreGroup<'async'>), what
 * PostgreSQL will offer and what the shared contract suites test. The stores answer at once
 * underneath; a transaction opens BEGIN IMMEDIATE on the database's one connection and keeps it
 * across fn's awaits, so calls through this view take turns (one at a time, a transaction
 * whole), and any synchronous write on the connection meanwhile is refused rather than joined
 * (kernel-db.ts holdAsync): it would be lost with a rollback. Until the services answer
 * asynchronously they use the sync group (control.ts); this view is for async callers.
 */
import type { ControlStoreGroup, ControlStores } from '@oxydra/types';
import { beginWrite, holdAsync, type KernelDb } from '../kernel-db.js';
import { libsqlControlStores } from './control.js';

type Turns = <T>(work: () => T | Promise<T>) => Promise<T>;

/** A sync store's type with every method answering a promise: its async contract's shape. */
type Asynced<S> = {
  [K in keyof S]: S[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : S[K];
};

/** `store` with each method answering a promise (a throw becomes a rejection), run through `turns`. */
function asyncStore<S extends object>(store: S, turns: Turns): Asynced<S> {
  const view = new Proxy(store, {
    get(target, key) {
      const member = Reflect.get(target, key, target) as unknown;
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => turns(() => member.apply(target, args));
    },
  });
  return view as unknown as Asynced<S>;
}

export function asyncControlStores(db: KernelDb): ControlStoreGroup<'async'> {
  const sync = libsqlControlStores(db);
  let tail: Promise<unknown> = Promise.resolve();
  const oneAtATime: Turns = (work) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
  const now: Turns = async (work) => work();
  const view = (turns: Turns): ControlStores<'async'> => ({
    tokens: asyncStore(sync.tokens, turns),
    approvals: asyncStore(sync.approvals, turns),
    schedules: asyncStore(sync.schedules, turns),
    audit: asyncStore(sync.audit, turns),
    spend: asyncStore(sync.spend, turns),
    usage: asyncStore(sync.usage, turns),
  });
  // Inside a transaction the calls run at once: the transaction holds the turn already.
  const bound = view(now);
  return {
    ...view(oneAtATime),
    transaction: (fn) =>
      oneAtATime(async () => {
        beginWrite(db);
        holdAsync(db, true);
        try {
          const result = await fn(bound);
          holdAsync(db, false);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          holdAsync(db, false);
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      }),
  };
}
