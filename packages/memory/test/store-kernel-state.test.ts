/**
 * The kernel's named JSON values (memory.state) on a real libSQL file: round trips, versions,
 * compare-and-set, listing, validation, and concurrent writers in one process and in two.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_STATE_VALUE_BYTES,
  MAX_STATE_VALUE_DEPTH,
  type MemoryDatabase,
  MemoryValidationError,
  openMemory,
  StateConflictError,
} from '../src/index.js';
import { expectCleanExit, startTogether, type TempDir, tempDir } from './store-helpers.js';

let tmp: TempDir;
let dbPath: string;
let memory: MemoryDatabase;
beforeEach(async () => {
  tmp = tempDir();
  dbPath = tmp.path('state.db');
  memory = await openMemory({ path: dbPath });
});
afterEach(async () => {
  await memory.close();
  tmp.cleanup();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The MemoryValidationError `work` throws (failing the test if it throws nothing or something else). */
async function validationError(work: () => Promise<unknown>): Promise<MemoryValidationError> {
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MemoryValidationError);
  return error as MemoryValidationError;
}

describe('kernel state', () => {
  it('round-trips JSON values of every kind exactly', async () => {
    const values: unknown[] = [
      null,
      true,
      0,
      -12.5,
      'text with ü, 🎉 and "quotes"\n',
      [],
      {},
      [1, 'two', null, { three: [3] }],
      { nested: { deep: { list: [false, 1e-7, 'x'] } }, 'odd key': 1, __proto__x: 2 },
      Object.assign(Object.create(null), { bare: 'object' }),
    ];
    for (const [index, value] of values.entries()) {
      expect(await memory.state.save('kinds', `v${index}`, value)).toEqual({ version: 1 });
      const loaded = await memory.state.load('kinds', `v${index}`);
      expect(loaded?.value).toEqual(value);
      expect(loaded?.version).toBe(1);
      expect(loaded?.updatedAt).toMatch(ISO);
    }
  });

  it('keeps categories apart and returns undefined for what was never saved', async () => {
    await memory.state.save('a', 'same', 'in a');
    await memory.state.save('b', 'same', 'in b');
    expect((await memory.state.load('a', 'same'))?.value).toBe('in a');
    expect((await memory.state.load('b', 'same'))?.value).toBe('in b');
    expect(await memory.state.load('c', 'same')).toBeUndefined();
    expect(await memory.state.load('a', 'other')).toBeUndefined();
  });

  it('bumps the version by one on each overwrite and keeps only the last value', async () => {
    expect(await memory.state.save('cursor', 'telegram', { offset: 1 })).toEqual({ version: 1 });
    expect(await memory.state.save('cursor', 'telegram', { offset: 2 })).toEqual({ version: 2 });
    expect(await memory.state.save('cursor', 'telegram', 'now a string')).toEqual({ version: 3 });
    expect(await memory.state.load('cursor', 'telegram')).toEqual({
      value: 'now a string',
      version: 3,
      updatedAt: expect.stringMatching(ISO),
    });
  });

  it('persists across close and reopen', async () => {
    await memory.state.save('scheduler', 'jobs/nightly', { lastRun: '2024-05-01', ok: true });
    await memory.state.save('scheduler', 'jobs/nightly', { lastRun: '2024-05-02', ok: false });
    await memory.close();
    memory = await openMemory({ path: dbPath });
    expect(await memory.state.load('scheduler', 'jobs/nightly')).toMatchObject({
      value: { lastRun: '2024-05-02', ok: false },
      version: 2,
    });
    expect(await memory.state.save('scheduler', 'jobs/nightly', 3)).toEqual({ version: 3 });
  });

  it('deletes, saying whether there was a value, and a later save starts again at version 1', async () => {
    await memory.state.save('plugins', 'x', 1);
    await memory.state.save('plugins', 'x', 2);
    expect(await memory.state.delete('plugins', 'x')).toBe(true);
    expect(await memory.state.load('plugins', 'x')).toBeUndefined();
    expect(await memory.state.delete('plugins', 'x')).toBe(false);
    expect(await memory.state.list('plugins')).toEqual([]);
    expect(await memory.state.save('plugins', 'x', 3)).toEqual({ version: 1 });
  });

  it('lists one category in name order, with a prefix and a limit', async () => {
    // Saved out of order; `_` and `%` style characters must not act as wildcards.
    for (const name of ['b', 'a_1', 'a/2', 'a.1', 'ab', 'A', 'a', 'ax1', 'a1']) {
      await memory.state.save('list', name, name);
    }
    await memory.state.save('list', 'b', 'again');
    await memory.state.save('other', 'a0', 'elsewhere');

    const all = await memory.state.list('list');
    // Bytewise order: uppercase, then digits-and-punctuation by code, then lowercase.
    expect(all.map((e) => e.name)).toEqual(['A', 'a', 'a.1', 'a/2', 'a1', 'a_1', 'ab', 'ax1', 'b']);
    expect(all.find((e) => e.name === 'b')).toEqual({
      name: 'b',
      version: 2,
      updatedAt: expect.stringMatching(ISO),
    });
    expect((await memory.state.list('list', { prefix: 'a' })).map((e) => e.name)).toEqual([
      'a',
      'a.1',
      'a/2',
      'a1',
      'a_1',
      'ab',
      'ax1',
    ]);
    expect((await memory.state.list('list', { prefix: 'a_' })).map((e) => e.name)).toEqual(['a_1']);
    expect((await memory.state.list('list', { prefix: 'a', limit: 2 })).map((e) => e.name)).toEqual([
      'a',
      'a.1',
    ]);
    expect(await memory.state.list('list', { prefix: 'zz' })).toEqual([]);
    expect(await memory.state.list('list', { limit: 0 })).toEqual([]);
    expect(await memory.state.list('nothing-here')).toEqual([]);
  });

  it('lists at most 1000 names by default', async () => {
    await memory.client.execute({
      sql: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1005)
            INSERT INTO kernel_state (category, name, value, version, updated_at)
            SELECT 'many', printf('n%05d', i), 'null', 1, '2024-01-01T00:00:00.000Z' FROM n`,
      args: [],
    });
    const listed = await memory.state.list('many');
    expect(listed).toHaveLength(1000);
    expect(listed.at(-1)?.name).toBe('n01000');
    expect(await memory.state.list('many', { limit: 2000 })).toHaveLength(1005);
  });

  it('lands every one of many concurrent saves: versions 1..n, each once', async () => {
    const N = 60;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => memory.state.save('race', 'counter', { writer: i })),
    );
    const versions = results.map((r) => r.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect((await memory.state.load('race', 'counter'))?.version).toBe(N);
  });

  it('compare-and-set: writes on the expected version, throws StateConflictError otherwise', async () => {
    expect(await memory.state.save('cas', 'k', 'first', { expectedVersion: 0 })).toEqual({ version: 1 });
    const taken = await memory.state
      .save('cas', 'k', 'again', { expectedVersion: 0 })
      .catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(StateConflictError);
    expect(taken).toMatchObject({
      code: 'usage_error',
      name: 'StateConflictError',
      category: 'cas',
      stateName: 'k',
      expectedVersion: 0,
      actualVersion: 1,
      message: 'state cas/k changed: expected no value, but it is at version 1',
    });

    expect(await memory.state.save('cas', 'k', 'second', { expectedVersion: 1 })).toEqual({ version: 2 });
    const stale = await memory.state
      .save('cas', 'k', 'lost', { expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(stale).toMatchObject({
      expectedVersion: 1,
      actualVersion: 2,
      message: 'state cas/k changed: expected version 1, but it is at version 2',
    });
    expect((await memory.state.load('cas', 'k'))?.value).toBe('second');

    const gone = await memory.state
      .save('cas', 'missing', 'x', { expectedVersion: 4 })
      .catch((e: unknown) => e);
    expect(gone).toMatchObject({
      actualVersion: 0,
      message: 'state cas/missing changed: expected version 4, but there is no value',
    });
    expect(await memory.state.load('cas', 'missing')).toBeUndefined();
  });

  it('compare-and-set from many concurrent writers: exactly one wins each version', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => memory.state.save('cas', 'once', i, { expectedVersion: 0 })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) {
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(StateConflictError);
    }
  });

  it('refuses bad categories and names, naming the rule', async () => {
    const rule = 'must be 1-128 characters of letters, digits and . _ : / -';
    for (const bad of ['', 'has space', 'semi;colon', 'ü', 'x'.repeat(129), 'new\nline']) {
      const error = await validationError(() => memory.state.save(bad, 'ok', 1));
      expect(error.field).toBe('category');
      expect(error.message).toContain(`state category ${rule}, got "`);
      const byName = await validationError(() => memory.state.load('ok', bad));
      expect(byName.field).toBe('name');
      expect(byName.message).toContain(`state name ${rule}`);
    }
    await validationError(() => memory.state.delete('ok', 'a b'));
    await validationError(() => memory.state.list('a b'));
    const prefix = await validationError(() => memory.state.list('ok', { prefix: 'a b' }));
    expect(prefix.message).toContain('state prefix must be 0-128 characters');
    await validationError(() => memory.state.list('ok', { limit: -1 }));
    await validationError(() => memory.state.list('ok', { limit: 10_001 }));
    await validationError(() => memory.state.save('ok', 'k', 1, { expectedVersion: 1.5 }));
    // The longest allowed and the whole alphabet are fine.
    const longest = 'x'.repeat(128);
    await memory.state.save(longest, 'Az09._:/-', 1);
    expect((await memory.state.list(longest)).map((e) => e.name)).toEqual(['Az09._:/-']);
  });

  it('refuses values JSON cannot keep, saying where they are and storing nothing', async () => {
    const holey: number[] = [1];
    holey[2] = 3;
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    const cases: Array<[unknown, string]> = [
      [undefined, 'state value is undefined, which JSON cannot store: leave the key out or use null'],
      [{ a: { b: undefined } }, 'state value at .a.b is undefined'],
      [[1, () => 2], 'state value at [1] is a function'],
      [{ n: 10n }, 'state value at .n is a BigInt, which JSON cannot store: store it as a string'],
      [{ x: Number.NaN }, 'state value at .x is NaN'],
      [[Number.POSITIVE_INFINITY], 'state value at [0] is Infinity'],
      [{ 'a b': -Infinity }, 'state value at ["a b"] is -Infinity'],
      [Symbol('s'), 'state value is a symbol'],
      [cyclic, 'state value at .self.back is a reference back to its own container'],
      [{ when: new Date(0) }, 'state value at .when is a Date'],
      [new Map([[1, 2]]), 'state value is a Map'],
      [holey, 'state value at [1] is undefined'],
    ];
    for (const [value, message] of cases) {
      const error = await validationError(() => memory.state.save('bad', 'v', value));
      expect(error.field).toBe('value');
      expect(error.message).toContain(message);
    }
    expect(await memory.state.list('bad')).toEqual([]);

    // Shared (not cyclic) references are data, stored twice.
    const shared = { s: 1 };
    await memory.state.save('ok', 'shared', { a: shared, b: [shared] });
    expect((await memory.state.load('ok', 'shared'))?.value).toEqual({ a: { s: 1 }, b: [{ s: 1 }] });
  });

  it('refuses nesting deeper than the limit', async () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < MAX_STATE_VALUE_DEPTH; i++) deep = [deep];
    await memory.state.save('deep', 'ok', deep);
    expect((await memory.state.load('deep', 'ok'))?.value).toEqual(deep);
    const error = await validationError(() => memory.state.save('deep', 'too', [deep]));
    expect(error.message).toContain(`nests deeper than ${MAX_STATE_VALUE_DEPTH} levels`);
  });

  it('stores up to 1 MiB of JSON (in UTF-8 bytes) and refuses more, naming the limit', async () => {
    // A JSON string is its text plus two quotes.
    const fits = 'x'.repeat(MAX_STATE_VALUE_BYTES - 2);
    expect(await memory.state.save('big', 'fits', fits)).toEqual({ version: 1 });
    expect((await memory.state.load<string>('big', 'fits'))?.value).toHaveLength(MAX_STATE_VALUE_BYTES - 2);

    const over = await validationError(() => memory.state.save('big', 'over', `${fits}x`));
    expect(over.message).toBe(
      `state value is ${MAX_STATE_VALUE_BYTES + 1} bytes as JSON; the limit is 1 MiB (1048576 bytes): store less, or split it under several names`,
    );
    // Multi-byte characters count as bytes, not characters: 2 bytes each here.
    const wide = 'é'.repeat(MAX_STATE_VALUE_BYTES / 2);
    const error = await validationError(() => memory.state.save('big', 'wide', wide));
    expect(error.message).toContain(`is ${MAX_STATE_VALUE_BYTES + 2} bytes as JSON`);
    expect(await memory.state.load('big', 'over')).toBeUndefined();
  });
});

describe('kernel state across processes', () => {
  it('two processes saving one name at once: every write lands with its own version', async () => {
    const COUNT = 40;
    const children = await startTogether(
      [1, 2].map(() => ['state-save', dbPath, 'shared', 'counter', String(COUNT)]),
    );
    const versions = await Promise.all(
      children.map(async (child) => {
        const line = await child.nextLine('result ');
        await expectCleanExit(child);
        return JSON.parse(line.slice('result '.length)) as number[];
      }),
    );
    for (const own of versions) {
      // Each process sees its own versions rise.
      expect(own).toEqual([...own].sort((a, b) => a - b));
    }
    expect(versions.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 2 * COUNT }, (_, i) => i + 1));
    expect((await memory.state.load('shared', 'counter'))?.version).toBe(2 * COUNT);
  });
});
