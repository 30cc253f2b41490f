/**
 * The kernel's memory of caps (kernel services/budgets/spending.ts's CapsMemory) over the PostgreSQL spend
 * store's change signal (store/caps-signal.ts), between two stores on one schema, each with its
 * own pool and event bus as two gateway processes have: a cap set or lowered through one is what
 * the other's memory answers once the change's notification arrives, a store whose bus does not
 * listen is read every time, and a change rolled back says nothing. The statements are counted
 * off pg's Client as they are sent.
 */
import { CapsMemory } from '@oxydra/kernel/stores';
import type { PostgresEventBus, PostgresStores } from '@oxydra/store-postgres';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { SpendStore } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CAPS_TOPIC, CapsSignal } from '../src/store/caps-signal.js';
import { describePostgres, postgresOpener, watchStatements } from './postgres-helpers.js';

const ALICE = 'user:alice';

/** A store's caps as the budget ledger reads them: through a memory following the store. */
function remembered(spend: SpendStore): { caps(scope: string): Promise<Record<string, number>> } {
  const memory = new CapsMemory();
  memory.follow(spend);
  return { caps: (scope) => memory.get(scope, () => spend.caps(scope)) };
}

/** How many reads of the caps table any pg Client of this process sent while `fn` ran. */
async function capsReadsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; reads: number }> {
  let reads = 0;
  const value = await watchStatements(fn, {
    sent: (text) => {
      if (text.startsWith('SELECT key, value FROM budget_limits')) reads++;
    },
  });
  return { value, reads };
}

describePostgres("PostgreSQL: caps kept in the kernel's memory across two processes", () => {
  let a: PostgresStores;
  let b: PostgresStores;
  let busA: PostgresEventBus;
  let close: () => Promise<void>;
  /** A third process's stores, without a bus. */
  let another: () => Promise<PostgresStores>;
  /** Cap-change notifications A's bus has heard. */
  let heardByA: number;
  beforeEach(async () => {
    const opened = await postgresOpener((all) => all)();
    const more = opened.another;
    if (!more) throw new Error('postgresOpener opens no second store');
    a = opened.store;
    b = (await more()).store;
    another = async () => (await more()).store;
    busA = (await a.openBus('gw-a')) as PostgresEventBus;
    const busB = await b.openBus('gw-b');
    heardByA = 0;
    busA.subscribe(CAPS_TOPIC, () => heardByA++);
    close = async () => {
      await Promise.all([busA.close(), busB.close()]);
      await opened.close();
    };
  });
  afterEach(() => close());

  it('answers from memory until another process changes a cap, then reads the new one', async () => {
    const spendA = remembered(a.control.spend);
    expect(await spendA.caps(ALICE)).toEqual({});
    expect(await capsReadsDuring(() => spendA.caps(ALICE))).toEqual({ value: {}, reads: 0 });

    await b.control.spend.setCap(ALICE, 'daily_usd', 5);
    await pollUntil(() => heardByA === 1, 'A to hear the cap set through B');
    expect(await capsReadsDuring(() => spendA.caps(ALICE))).toEqual({ value: { daily_usd: 5 }, reads: 1 });

    // Lowered through B, inside a transaction: heard once it commits.
    await b.control.transaction((tx) => tx.spend.setCap(ALICE, 'daily_usd', 2));
    await pollUntil(() => heardByA === 2, 'A to hear the cap lowered through B');
    expect(await spendA.caps(ALICE)).toEqual({ daily_usd: 2 });
    expect(await capsReadsDuring(() => spendA.caps(ALICE))).toEqual({ value: { daily_usd: 2 }, reads: 0 });

    // Removed: the configuration's applies again.
    await b.control.spend.setCap(ALICE, 'daily_usd', undefined);
    await pollUntil(() => heardByA === 3, 'A to hear the cap removed through B');
    expect(await spendA.caps(ALICE)).toEqual({});
  });

  it('a change rolled back sends nothing, and what was kept stays', async () => {
    const spendA = remembered(a.control.spend);
    await a.control.spend.setCap(ALICE, 'monthly_usd', 9);
    await pollUntil(() => heardByA === 1, 'A to hear its own change (the notification names no process)');
    expect(await spendA.caps(ALICE)).toEqual({ monthly_usd: 9 });
    await expect(
      b.control.transaction(async (tx) => {
        await tx.spend.setCap(ALICE, 'monthly_usd', 1);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    // A ping through the same channel comes back after anything sent before it.
    await busA.check();
    expect(heardByA).toBe(1);
    expect(await capsReadsDuring(() => spendA.caps(ALICE))).toEqual({ value: { monthly_usd: 9 }, reads: 0 });
  });

  it('reads in a transaction, not from memory: a cap change there decides on the cap in force', async () => {
    const spendA = remembered(a.control.spend);
    expect(await spendA.caps(ALICE)).toEqual({});
    expect(await capsReadsDuring(() => spendA.caps(ALICE))).toEqual({ value: {}, reads: 0 });
    const { value, reads } = await capsReadsDuring(() => a.control.transaction((tx) => tx.spend.caps(ALICE)));
    expect(value).toEqual({});
    expect(reads).toBe(1);
  });

  it('keeps nothing without a bus listening: a change made elsewhere is read at once', async () => {
    const spendC = remembered((await another()).control.spend);
    expect(await spendC.caps(ALICE)).toEqual({});
    await b.control.spend.setCap(ALICE, 'daily_usd', 3);
    const { value, reads } = await capsReadsDuring(async () => [
      await spendC.caps(ALICE),
      await spendC.caps(ALICE),
    ]);
    expect(value).toEqual([{ daily_usd: 3 }, { daily_usd: 3 }]);
    expect(reads).toBe(2);
  });
});

describe('CapsMemory over CapsSignal, its bus going down and up', () => {
  /** A bus whose listening the test turns off and on. */
  function fakeBus() {
    let link: ((up: boolean) => void) | undefined;
    let message: ((data: string, from: string) => void) | undefined;
    return {
      subscribe: (_topic: string, handler: (data: string, from: string) => void) => {
        message = handler;
        return () => {};
      },
      onLink: (listener: (up: boolean) => void) => {
        link = listener;
        listener(true);
        return () => {};
      },
      down: () => link?.(false),
      up: () => link?.(true),
      changed: () => message?.('', 'elsewhere'),
    };
  }

  it('drops what it kept when the bus goes down, keeps nothing until it is up, and no read in flight across a change', async () => {
    let now = 0;
    const cache = new CapsMemory(() => now);
    const signal = new CapsSignal();
    const bus = fakeBus();
    signal.follow(bus);
    cache.follow({ watchCaps: (listener) => signal.watch(listener) });
    let stored: Record<string, number> = { daily_usd: 1 };
    let reads = 0;
    const read = async () => {
      reads++;
      return { ...stored };
    };
    expect(await cache.get(ALICE, read)).toEqual({ daily_usd: 1 });
    expect(await cache.get(ALICE, read)).toEqual({ daily_usd: 1 });
    expect(reads).toBe(1);

    bus.down();
    stored = { daily_usd: 0.5 }; // its notification is lost
    expect(await cache.get(ALICE, read)).toEqual({ daily_usd: 0.5 });
    expect(await cache.get(ALICE, read)).toEqual({ daily_usd: 0.5 });
    expect(reads).toBe(3);

    bus.up();
    await cache.get(ALICE, read);
    await cache.get(ALICE, read);
    expect(reads).toBe(4);

    // A change heard while a read is in flight: that read's answer is not kept.
    bus.changed();
    const inFlight = cache.get(ALICE, async () => {
      const caps = await read();
      stored = { daily_usd: 0.25 };
      bus.changed();
      return caps;
    });
    await inFlight;
    expect(await cache.get(ALICE, read)).toEqual({ daily_usd: 0.25 });

    // Kept no longer than its age allows, even with no word from the bus.
    stored = { daily_usd: 0.1 };
    now += 4999;
    expect(await cache.get(ALICE, read)).toEqual({ daily_usd: 0.25 });
    now += 1;
    expect(await cache.get(ALICE, read)).toEqual({ daily_usd: 0.1 });
  });
});
