/**
 * The SpendStore contract: every implementation runs these against a real backend. They pin that
 * a reservation holds on each target until released, settled or expired; that `admit` sees what
 * is spent and held and that its refusal keeps nothing (so of two handles racing for the last
 * call under a cap exactly one gets it); settles that add up; totals by period and scope prefix
 * (hostile prefixes taken literally); reset; caps set, replaced and removed; and, for a store that
 * tells of cap changes (watchCaps), that a change through either handle is told. The opener gives
 * a store that can listen (PostgreSQL: with its event bus open).
 */
import type { CapsNews, SpendStore, SpendUsed } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../helpers/poll.js';
import { currentEach, rejection, type StoreOpener, secondHandle, withSecondHandle } from './harness.js';

const DAY = { scope: 'user:alice', period: 'day:2026-11-25' };
const MONTH = { scope: 'user:alice', period: 'month:2026-11' };
const AGENT = { scope: 'agent:default', period: 'day:2026-11-25' };
const NOW = 1_000_000;
const NOTHING: SpendUsed = { usd: 0, tokens: 0, calls: 0, reservedUsd: 0, reservedCalls: 0 };

export function spendStoreContract(open: StoreOpener<SpendStore>): void {
  describe('SpendStore contract', () => {
    const current = currentEach(open);
    const admitAll = () => {};

    it('holds a reservation on each target until it is released or expires', async () => {
      expect(await current.store.used(DAY, NOW)).toEqual(NOTHING);
      await current.store.reserve(
        { id: 'r1', usd: 0.5, targets: [DAY, MONTH], expiresAt: NOW + 100 },
        NOW,
        [],
        admitAll,
      );
      await current.store.reserve(
        { id: 'r2', usd: 0.25, targets: [DAY], expiresAt: NOW + 10 },
        NOW,
        [],
        admitAll,
      );
      expect(await current.store.used(DAY, NOW)).toEqual({ ...NOTHING, reservedUsd: 0.75, reservedCalls: 2 });
      expect(await current.store.used(MONTH, NOW)).toEqual({
        ...NOTHING,
        reservedUsd: 0.5,
        reservedCalls: 1,
      });
      // r2 has expired at NOW + 10: it no longer counts.
      expect(await current.store.used(DAY, NOW + 10)).toEqual({
        ...NOTHING,
        reservedUsd: 0.5,
        reservedCalls: 1,
      });
      await current.store.release('r1');
      await current.store.release('ghost');
      expect(await current.store.used(MONTH, NOW)).toEqual(NOTHING);
      expect(await current.store.used(DAY, NOW)).toEqual({ ...NOTHING, reservedUsd: 0.25, reservedCalls: 1 });
    });

    it('shows admit what is spent and held, and keeps nothing when it refuses', async () => {
      await current.store.settle([], [{ ...DAY, usd: 1.5, tokens: 300, calls: 2 }]);
      await current.store.reserve(
        { id: 'r1', usd: 0.5, targets: [DAY], expiresAt: NOW + 100 },
        NOW,
        [],
        admitAll,
      );
      const seen: SpendUsed[][] = [];
      await current.store.reserve(
        { id: 'r2', usd: 0.1, targets: [DAY, AGENT], expiresAt: NOW + 100 },
        NOW,
        [DAY, AGENT],
        (used) => void seen.push(used),
      );
      expect(seen).toEqual([
        [{ usd: 1.5, tokens: 300, calls: 2, reservedUsd: 0.5, reservedCalls: 1 }, NOTHING],
      ]);
      const refused = await rejection(() =>
        current.store.reserve(
          { id: 'r3', usd: 9, targets: [DAY, AGENT], expiresAt: NOW + 100 },
          NOW,
          [DAY],
          () => {
            throw new Error('over the cap');
          },
        ),
      );
      expect((refused as Error).message).toBe('over the cap');
      expect((await current.store.used(DAY, NOW)).reservedCalls).toBe(2);
      expect((await current.store.used(AGENT, NOW)).reservedCalls).toBe(1);
    });

    it('gives the last call under a cap to exactly one of two racing handles', async () => {
      const admitOne = (used: SpendUsed[]) => {
        if (used[0]!.calls + used[0]!.reservedCalls >= 1) throw new Error('cap reached');
      };
      const outcomes: unknown[] = [];
      await withSecondHandle(current.opened, async (second) => {
        outcomes.push(
          ...(await Promise.all(
            [current.store, second].map((store, index) =>
              rejection(() =>
                store.reserve(
                  { id: `r${index}`, usd: 1, targets: [DAY], expiresAt: NOW + 100 },
                  NOW,
                  [DAY],
                  admitOne,
                ),
              ),
            ),
          )),
        );
      });
      expect(outcomes.filter((outcome) => outcome === undefined)).toHaveLength(1);
      expect((await current.store.used(DAY, NOW)).reservedCalls).toBe(1);
    });

    it('settles: releases reservations and adds spend up, per scope and period', async () => {
      await current.store.reserve(
        { id: 'r1', usd: 2, targets: [DAY, MONTH], expiresAt: NOW + 100 },
        NOW,
        [],
        admitAll,
      );
      await current.store.settle(
        ['r1'],
        [
          { ...DAY, usd: 0.5, tokens: 10, calls: 1 },
          { ...MONTH, usd: 0.5, tokens: 10, calls: 1 },
        ],
      );
      await current.store.settle([], [{ ...DAY, usd: 0.25, tokens: 5, calls: 1 }]);
      expect(await current.store.used(DAY, NOW)).toEqual({ ...NOTHING, usd: 0.75, tokens: 15, calls: 2 });
      expect(await current.store.used(MONTH, NOW)).toEqual({ ...NOTHING, usd: 0.5, tokens: 10, calls: 1 });
    });

    it('totals the given periods of scopes by a literal prefix, and resets a scope', async () => {
      const rows = [
        { ...DAY, usd: 1, tokens: 1, calls: 1 },
        { ...MONTH, usd: 2, tokens: 2, calls: 2 },
        { scope: 'user:alice', period: 'day:2026-11-24', usd: 9, tokens: 9, calls: 9 },
        { ...AGENT, usd: 3, tokens: 3, calls: 3 },
        { scope: 'user%', period: DAY.period, usd: 4, tokens: 4, calls: 4 },
      ];
      await current.store.settle([], rows);
      const periods = [DAY.period, MONTH.period];
      expect(await current.store.totals(periods, '')).toEqual([rows[3], rows[4], rows[0], rows[1]]);
      expect(await current.store.totals(periods, 'user:')).toEqual([rows[0], rows[1]]);
      expect(await current.store.totals(periods, 'user%')).toEqual([rows[4]]);
      expect(await current.store.totals(periods, '_ser:')).toEqual([]);
      expect(await current.store.totals([], '')).toEqual([]);
      expect(await current.store.reset('user:alice', periods)).toBe(2);
      expect(await current.store.reset('user:alice', periods)).toBe(0);
      expect((await current.store.used({ scope: 'user:alice', period: 'day:2026-11-24' }, NOW)).usd).toBe(9);
      expect(await current.store.totals(periods, 'user:')).toEqual([]);
    });

    it('sets, replaces and removes caps per scope and lists the scopes that have one', async () => {
      expect(await current.store.caps('user:alice')).toEqual({});
      expect(await current.store.scopesWithCaps()).toEqual([]);
      await current.store.setCap('user:alice', 'daily_usd', 5);
      await current.store.setCap('user:alice', 'monthly_usd', 50);
      await current.store.setCap('agent:x', 'calls_per_window', 10);
      await current.store.setCap('user:alice', 'daily_usd', 7.5);
      expect(await current.store.caps('user:alice')).toEqual({ daily_usd: 7.5, monthly_usd: 50 });
      expect((await current.store.scopesWithCaps()).sort()).toEqual(['agent:x', 'user:alice']);
      await current.store.setCap('user:alice', 'daily_usd', undefined);
      await current.store.setCap('user:alice', 'monthly_usd', undefined);
      await current.store.setCap('user:alice', 'never_set', undefined);
      expect(await current.store.caps('user:alice')).toEqual({});
      expect(await current.store.scopesWithCaps()).toEqual(['agent:x']);
    });

    it('tells a watcher of cap changes made through it or another handle, until it stops', async () => {
      const { store } = current;
      // Optional in the contract: a store without it has its caps read at every call.
      if (!store.watchCaps) return;
      const heard: CapsNews[] = [];
      const stop = store.watchCaps((news) => heard.push(news));
      await pollUntil(() => heard.includes('listening'), 'the store to listen for cap changes');
      heard.length = 0;
      await store.setCap('user:alice', 'daily_usd', 5);
      // Told at once in this process: a read begun before the change ends is not kept.
      expect(heard).toContain('changed');
      const other = await secondHandle(current.opened);
      try {
        heard.length = 0;
        await other.store.setCap('user:alice', 'daily_usd', 6);
        await pollUntil(() => heard.includes('changed'), 'a change through the other handle to be told');
      } finally {
        await other.close();
      }
      stop();
      heard.length = 0;
      await store.setCap('user:alice', 'daily_usd', 7);
      expect(heard).toEqual([]);
    });
  });
}
