/**
 * The spend ledger's hot path on a real kernel database: the settles of one tick commit
 * together and every later write or read of this process sees them (a reservation right after a
 * settle counts its spend); the caps read before each call are kept in the ledger's memory,
 * forgotten at once when this process changes one, re-read once the store's data_version poll
 * sees another connection's change, and never kept from a change rolled back.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { BudgetExceeded } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import type { Cap } from '../src/services/budgets/caps.js';
import { CAPS_MAX_AGE_MS, SpendingLedger } from '../src/services/budgets/spending.js';
import type { KernelDb } from '../src/store/kernel-db.js';
import { asyncControlStores } from '../src/store/libsql/async-view.js';
import { scratchKernelDbs } from './kernel-db-scratch.js';

const scratch = scratchKernelDbs('oxydra-budget-group-');

async function open(dir?: string): Promise<{ dir: string; db: KernelDb; ledger: SpendingLedger }> {
  const folder = dir ?? scratch.folder();
  const db = await scratch.open(folder);
  return { dir: folder, db, ledger: new SpendingLedger(db, { windowSecs: 3600 }) };
}

const spendRows = (db: KernelDb) =>
  Number((db.prepare('SELECT COUNT(*) FROM budget_spend').raw(true).get() as [number])[0]);

describe('grouped settles', () => {
  it('commits the settles of one tick together; a read of this process sees them at once', async () => {
    const { db, ledger } = await open();
    for (let i = 0; i < 10; i++)
      ledger.settle(await ledger.reserve([], ['user:ann'], 0), { usd: 0.01, tokens: 5 });
    expect(spendRows(db)).toBe(0);
    const daily = (await ledger.current('user:ann')).find((row) => row.calls > 0)!;
    expect(daily.calls).toBe(10);
    expect(daily.usd).toBeCloseTo(0.1, 9);
  });

  it('commits them at the end of the tick on their own', async () => {
    const { db, ledger } = await open();
    ledger.settle(await ledger.reserve([], ['user:ann'], 0), { usd: 0.01, tokens: 5 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(spendRows(db)).toBeGreaterThan(0);
  });

  it('commits the settles still queued when it closes (the kernel closes the database next)', async () => {
    const { db, ledger } = await open();
    ledger.settle(await ledger.reserve([], ['user:ann'], 0), { usd: 0.01, tokens: 5 });
    await ledger.close();
    expect(spendRows(db)).toBeGreaterThan(0);
  });

  it('a reservation right after settles (same tick) counts their spend', async () => {
    const { ledger } = await open();
    const cap: Cap = { scope: 'user:bo', key: 'daily_usd', limit: 0.055, source: 'test', origin: 'explicit' };
    for (let i = 0; i < 4; i++) {
      ledger.settle(await ledger.reserve([cap], ['user:bo'], 0.001), { usd: 0.01, tokens: 1 });
    }
    // 0.04 settled, the last one not yet committed when this reserves: 0.02 more passes 0.055
    // (read without the last settle it would be 0.03 + 0.001 still reserved + 0.02: under).
    await expect(ledger.reserve([cap], ['user:bo'], 0.02)).rejects.toThrow(BudgetExceeded);
  });
});

describe('the statements of a settle', () => {
  /** How many times each kind of statement ran on `db` from now on (prepared from now on). */
  function countRuns(db: KernelDb): Map<string, number> {
    const runs = new Map<string, number>();
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      const run = statement.run.bind(statement);
      const kind = sql.trim().split('(')[0]!.trim();
      statement.run = ((...args: unknown[]) => {
        runs.set(kind, (runs.get(kind) ?? 0) + 1);
        return run(...(args as []));
      }) as typeof statement.run;
      return statement;
    }) as typeof db.prepare;
    return runs;
  }

  const spendTable = (db: KernelDb) =>
    db.prepare('SELECT scope, period, usd, tokens, calls FROM budget_spend ORDER BY scope, period').all();

  it("writes a tick's totals (two scopes, two periods each) in one statement, with the sums of one a row", async () => {
    const folder = scratch.folder();
    const db = await scratch.open(folder);
    const runs = countRuns(db);
    const ledger = new SpendingLedger(db, { windowSecs: 3600 });
    const scopes = ['user:ann', 'agent:helper'];
    // Two ticks: the second adds to the rows the first inserted (the ON CONFLICT arm).
    for (const usd of [0.25, 0.5]) {
      ledger.settle(await ledger.reserve([], scopes, 0), { usd, tokens: 10 });
      ledger.settle(await ledger.reserve([], scopes, 0), { usd, tokens: 5 });
      await ledger.current('user:ann');
    }
    // Four totals a tick (summed per scope and period first): one statement each tick, not four.
    expect(runs.get('INSERT INTO budget_spend')).toBe(2);
    const rows = spendTable(db) as { scope: string; usd: number; tokens: number; calls: number }[];
    expect(rows.map((row) => row.scope)).toEqual(['agent:helper', 'agent:helper', 'user:ann', 'user:ann']);
    for (const row of rows) expect(row).toMatchObject({ usd: 1.5, tokens: 30, calls: 4 });
  });
});

describe("caps kept in the ledger's memory", () => {
  /** A cap written on the connection behind the store's back: no store tells of it. */
  const writeUntold = (db: KernelDb, scope: string, value: number) =>
    db
      .prepare("INSERT OR REPLACE INTO budget_limits (scope, key, value) VALUES (?, 'daily_usd', ?)")
      .run(scope, value);

  it('keeps what it read, and sees a cap changed through this process at once', async () => {
    const { db, ledger } = await open();
    expect(await ledger.caps('user:cy')).toEqual({});
    writeUntold(db, 'user:cy', 1);
    expect(await ledger.caps('user:cy')).toEqual({});
    await ledger.setCap('user:cy', 'daily_usd', 3);
    expect(await ledger.caps('user:cy')).toEqual({ daily_usd: 3 });
    await ledger.setCap('user:cy', 'daily_usd', undefined);
    expect(await ledger.caps('user:cy')).toEqual({});
  });

  it('sees a cap changed by another connection once the store tells of it', async () => {
    const { dir, ledger } = await open();
    const other = await open(dir);
    expect(await ledger.caps('user:di')).toEqual({});
    await other.ledger.setCap('user:di', 'monthly_usd', 9);
    // Bounded below CAPS_MAX_AGE_MS: seen through the store's news, not the kept value's age.
    await pollUntil(
      async () => (await ledger.caps('user:di')).monthly_usd === 9,
      "the other connection's cap to be seen",
      { timeoutMs: CAPS_MAX_AGE_MS - 1000 },
    );
  });

  it('once closed, stops following the store: every read then goes to the database', async () => {
    const { db, ledger } = await open();
    expect(await ledger.caps('user:fa')).toEqual({});
    writeUntold(db, 'user:fa', 2);
    expect(await ledger.caps('user:fa')).toEqual({}); // kept while it follows
    await ledger.close();
    expect(await ledger.caps('user:fa')).toEqual({ daily_usd: 2 });
  });

  it('keeps nothing of a change rolled back: a read during it waits for the transaction', async () => {
    const { db, ledger } = await open();
    const stores = asyncControlStores(db);
    await ledger.setCap('user:ed', 'daily_usd', 4);
    expect(await ledger.caps('user:ed')).toEqual({ daily_usd: 4 });
    let during: Promise<Record<string, number>> | undefined;
    await expect(
      stores.transaction(async (tx) => {
        await tx.spend.setCap('user:ed', 'daily_usd', 1);
        during = ledger.caps('user:ed');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await during).toEqual({ daily_usd: 4 });
    expect(await ledger.caps('user:ed')).toEqual({ daily_usd: 4 });
  });
});
