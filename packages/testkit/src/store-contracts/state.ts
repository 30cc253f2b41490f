/**
 * The StateStore contract (`kernel.state`): every implementation runs these against a real
 * backend. They pin what callers rely on: exact JSON round trips, versions that never skip or
 * repeat, compare-and-set that exactly one of many racing writers wins (in one handle and
 * across two), bytewise listing, and refusal (never silent change) of bad names and values.
 */
import type { StateStore } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { HOSTILE_TEXT, type OpenedStore, openEach, rejection, type StoreOpener } from './harness.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function isConflict(error: unknown, expected: number, actual: number): boolean {
  const e = error as { name?: string; expectedVersion?: number; actualVersion?: number };
  return e?.name === 'StateConflictError' && e.expectedVersion === expected && e.actualVersion === actual;
}

export function stateStoreContract(open: StoreOpener<StateStore>): void {
  describe('StateStore contract', () => {
    let opened: OpenedStore<StateStore>;
    let store: StateStore;
    openEach(open, (current) => {
      opened = current;
      store = current.store;
    });

    it('round-trips JSON values of every kind exactly, unicode and hostile text included', async () => {
      const values: unknown[] = [
        null,
        true,
        0,
        -12.5,
        1e-7,
        Number.MAX_SAFE_INTEGER,
        ...HOSTILE_TEXT,
        [],
        {},
        [1, 'two', null, { three: [3] }],
        { nested: { deep: { list: [false, 'x'] } }, 'odd "key"': 1, 'ключ 🎉': HOSTILE_TEXT },
      ];
      for (const [index, value] of values.entries()) {
        expect(await store.save('kinds', `v${index}`, value)).toEqual({ version: 1 });
        const loaded = await store.load('kinds', `v${index}`);
        expect(loaded?.value).toEqual(value);
        expect(loaded?.version).toBe(1);
        expect(loaded?.updatedAt).toMatch(ISO);
      }
    });

    it('stores a value close to the 1 MiB limit and refuses one over it, keeping the old value', async () => {
      const big = { text: 'é'.repeat(500_000) }; // ~1,000,012 bytes as UTF-8 JSON
      expect(await store.save('big', 'one', big)).toEqual({ version: 1 });
      expect((await store.load<typeof big>('big', 'one'))?.value.text.length).toBe(500_000);
      expect(
        await rejection(() => store.save('big', 'one', { text: 'x'.repeat(1024 * 1024) })),
      ).toBeDefined();
      expect((await store.load('big', 'one'))?.version).toBe(1);
    });

    it('answers missing names with undefined, false and an empty list', async () => {
      expect(await store.load('nothing', 'here')).toBeUndefined();
      expect(await store.delete('nothing', 'here')).toBe(false);
      expect(await store.list('nothing')).toEqual([]);
    });

    it('counts versions per write and starts again at 1 after a delete', async () => {
      expect(await store.save('c', 'n', 1)).toEqual({ version: 1 });
      expect(await store.save('c', 'n', 2)).toEqual({ version: 2 });
      expect(await store.save('c', 'n', 3)).toEqual({ version: 3 });
      expect(await store.load('c', 'n')).toMatchObject({ value: 3, version: 3 });
      expect(await store.delete('c', 'n')).toBe(true);
      expect(await store.delete('c', 'n')).toBe(false);
      expect(await store.load('c', 'n')).toBeUndefined();
      expect(await store.save('c', 'n', 'again')).toEqual({ version: 1 });
    });

    it('keeps categories apart', async () => {
      await store.save('a', 'same', 'in a');
      await store.save('b', 'same', 'in b');
      expect((await store.load('a', 'same'))?.value).toBe('in a');
      expect((await store.load('b', 'same'))?.value).toBe('in b');
      await store.delete('a', 'same');
      expect((await store.load('b', 'same'))?.value).toBe('in b');
    });

    it('writes with compare-and-set only at the expected version, and reports what it found', async () => {
      expect(await store.save('cas', 'n', 'first', { expectedVersion: 0 })).toEqual({ version: 1 });
      expect(
        isConflict(await rejection(() => store.save('cas', 'n', 'x', { expectedVersion: 0 })), 0, 1),
      ).toBe(true);
      expect(
        isConflict(await rejection(() => store.save('cas', 'n', 'x', { expectedVersion: 7 })), 7, 1),
      ).toBe(true);
      expect(
        isConflict(await rejection(() => store.save('cas', 'gone', 'x', { expectedVersion: 1 })), 1, 0),
      ).toBe(true);
      expect(await store.load('cas', 'n')).toMatchObject({ value: 'first', version: 1 });
      expect(await store.load('cas', 'gone')).toBeUndefined();
      expect(await store.save('cas', 'n', 'second', { expectedVersion: 1 })).toEqual({ version: 2 });
      expect(await rejection(() => store.save('cas', 'n', 'x', { expectedVersion: -1 }))).toBeDefined();
      expect(await rejection(() => store.save('cas', 'n', 'x', { expectedVersion: 1.5 }))).toBeDefined();
    });

    it('lets exactly one of many racing compare-and-set writers win', async () => {
      await store.save('race', 'n', 'start');
      const attempts = await Promise.allSettled(
        Array.from({ length: 20 }, (_, index) => store.save('race', 'n', index, { expectedVersion: 1 })),
      );
      const won = attempts.filter((attempt) => attempt.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const loaded = await store.load('race', 'n');
      expect(loaded?.version).toBe(2);
      expect(won[0]?.status === 'fulfilled' && won[0].value).toEqual({ version: 2 });
    });

    it('never loses or repeats a version between two writers on the same data', async () => {
      const second = opened.another ? await opened.another() : { store, close: async () => {} };
      try {
        const writes = await Promise.all(
          Array.from({ length: 40 }, (_, index) =>
            (index % 2 ? second.store : store).save('two', 'n', index),
          ),
        );
        const versions = writes.map((write) => write.version).sort((a, b) => a - b);
        expect(versions).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
        const fresh = await Promise.allSettled([
          store.save('two', 'new', 'a', { expectedVersion: 0 }),
          second.store.save('two', 'new', 'b', { expectedVersion: 0 }),
        ]);
        expect(fresh.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
        expect((await second.store.load('two', 'n'))?.version).toBe(40);
      } finally {
        await second.close();
      }
    });

    it('lists names in bytewise order with a literal prefix and a limit', async () => {
      for (const name of ['b', 'a_1', 'aX1', 'a1', 'A', 'a/b', 'a']) await store.save('list', name, name);
      await store.save('other', 'a1', 'elsewhere');
      const names = (await store.list('list')).map((entry) => entry.name);
      expect(names).toEqual(['A', 'a', 'a/b', 'a1', 'aX1', 'a_1', 'b'].sort());
      expect((await store.list('list', { prefix: 'a_' })).map((entry) => entry.name)).toEqual(['a_1']);
      expect((await store.list('list', { prefix: 'a' })).map((entry) => entry.name)).toEqual([
        'a',
        'a/b',
        'a1',
        'aX1',
        'a_1',
      ]);
      expect((await store.list('list', { limit: 2 })).map((entry) => entry.name)).toEqual(['A', 'a']);
      expect(await store.list('list', { limit: 0 })).toEqual([]);
      const [first] = await store.list('list', { prefix: 'b' });
      expect(first).toMatchObject({ name: 'b', version: 1 });
      expect(first?.updatedAt).toMatch(ISO);
    });

    it('refuses bad names and values without storing anything', async () => {
      for (const bad of ['', 'has space', "quote'", 'x'.repeat(129), 'naïve', ...HOSTILE_TEXT]) {
        expect(await rejection(() => store.save('cat', bad, 1))).toBeDefined();
        expect(await rejection(() => store.save(bad, 'name', 1))).toBeDefined();
        expect(await rejection(() => store.load(bad, 'name'))).toBeDefined();
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const value of [
        undefined,
        Number.NaN,
        Infinity,
        () => 1,
        10n,
        new Map(),
        cyclic,
        [1, undefined],
      ]) {
        expect(await rejection(() => store.save('cat', 'value', value))).toBeDefined();
      }
      expect(await rejection(() => store.list('cat', { limit: -1 }))).toBeDefined();
      expect(await store.list('cat')).toEqual([]);
    });
  });
}
