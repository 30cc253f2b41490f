/**
 * The ledger keeps each kind's period until it ends (spending.ts `period`): the kept one must
 * move exactly at the boundary, for days, calendar months of every length and fixed windows,
 * and agree with the pure periodOf at every instant.
 */
import { describe, expect, it } from 'vitest';
import { type CapKey, PERIOD_OF, periodOf } from '../src/services/budgets/caps.js';
import { SpendingLedger } from '../src/services/budgets/spending.js';
import { scratchKernelDbs } from './kernel-db-scratch.js';

const scratch = scratchKernelDbs('oxydra-spending-periods-');
const KEYS: CapKey[] = ['daily_usd', 'monthly_usd', 'calls_per_window'];

describe('the periods a ledger counts in', () => {
  it('keeps a period until its end and moves at the boundary, as periodOf says', async () => {
    let now = Date.UTC(2026, 0, 31, 23, 59, 59, 999);
    const db = await scratch.open(scratch.folder());
    const ledger = new SpendingLedger(db, { windowSecs: 600, now: () => now });
    // Around a day, a 31-day month, February (28 days) and a leap February, and windows.
    const instants = [
      Date.UTC(2026, 0, 31, 23, 59, 59, 999),
      Date.UTC(2026, 1, 1, 0, 0, 0, 0),
      Date.UTC(2026, 1, 28, 23, 59, 59, 999),
      Date.UTC(2026, 2, 1),
      Date.UTC(2028, 1, 29, 12),
      Date.UTC(2028, 2, 1) - 1,
      Date.UTC(2028, 2, 1),
      Date.UTC(2028, 2, 1, 0, 9, 59, 999),
      Date.UTC(2028, 2, 1, 0, 10),
      // Back in time (a clock set back): the kept period does not cover it.
      Date.UTC(2027, 5, 15),
    ];
    for (const at of instants) {
      now = at;
      for (const key of KEYS) {
        expect(ledger.period(key)).toEqual(periodOf(PERIOD_OF[key], at, 600));
        expect(ledger.period(key, at)).toEqual(periodOf(PERIOD_OF[key], at, 600));
      }
    }
  });

  it("a period's startsAt is where it begins", () => {
    for (const at of [Date.UTC(2026, 1, 14, 7), Date.UTC(2028, 1, 29), Date.UTC(2026, 11, 31, 23, 59)]) {
      for (const kind of ['day', 'month', 'window'] as const) {
        const period = periodOf(kind, at, 600);
        const start = period.startsAt;
        expect(start).toBeLessThanOrEqual(at);
        expect(periodOf(kind, start, 600).key).toBe(period.key);
        expect(periodOf(kind, start - 1, 600).key).not.toBe(period.key);
      }
    }
  });
});
