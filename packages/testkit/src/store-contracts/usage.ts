/**
 * The UsageStore contract: every implementation runs these against a real backend. They pin the
 * report's groups (UTC day, agent or "(kind)", provider/model, user, session or "(none)"), its
 * order and totals, unknown costs counted apart and never as $0, the time and user filters, and
 * pruning by age and by count.
 */
import type { StoredUsage, UsageStore } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { currentEach, HOSTILE_TEXT, type StoreOpener } from './harness.js';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 10, 24, 23, 30);

const usage = (fields: Partial<StoredUsage> = {}): StoredUsage => ({
  ts: T0,
  kind: 'model',
  agentId: 'a1',
  agentName: 'default',
  userId: 'local',
  sessionId: 's1',
  provider: 'openai',
  model: 'gpt',
  inputTokens: 100,
  outputTokens: 10,
  cacheReadTokens: 1,
  costUsd: 0.5,
  ...fields,
});

export function usageStoreContract(open: StoreOpener<UsageStore>): void {
  describe('UsageStore contract', () => {
    const current = currentEach(open);

    it('reports nothing as zero totals', async () => {
      expect(await current.store.report({ by: 'day' })).toEqual({
        rows: [],
        totals: {
          calls: 0,
          inputTokens: 0,
          outputTokens: 0,
          cacheReadTokens: 0,
          costUsd: 0,
          unknownCostCalls: 0,
        },
      });
    });

    it('groups by UTC day ascending, and other groups by cost then calls descending', async () => {
      await current.store.insert([
        usage(),
        usage({ ts: T0 + 60 * 60_000, costUsd: null, model: 'mystery' }),
        usage({ ts: T0 + DAY_MS, agentName: 'researcher', userId: 'bob', costUsd: 2, sessionId: null }),
        usage({
          kind: 'embedding',
          agentName: null,
          agentId: null,
          provider: null,
          model: null,
          costUsd: 0.25,
        }),
        usage({ agentName: HOSTILE_TEXT[1], userId: HOSTILE_TEXT[3], costUsd: 0.25 }),
      ]);
      const days = await current.store.report({ by: 'day' });
      expect(days.rows.map((row) => [row.key, row.calls, row.costUsd, row.unknownCostCalls])).toEqual([
        ['2026-11-24', 3, 1, 0],
        ['2026-11-25', 2, 2, 1],
      ]);
      expect(days.totals).toEqual({
        calls: 5,
        inputTokens: 500,
        outputTokens: 50,
        cacheReadTokens: 5,
        costUsd: 3,
        unknownCostCalls: 1,
      });
      const keys = async (by: 'agent' | 'model' | 'user' | 'session') =>
        (await current.store.report({ by })).rows.map((row) => row.key);
      expect(await keys('agent')).toEqual(['researcher', 'default', HOSTILE_TEXT[1], '(embedding)']);
      expect(await keys('model')).toEqual(['openai/gpt', '(unknown)', 'openai/mystery']);
      expect(await keys('user')).toEqual(['bob', 'local', HOSTILE_TEXT[3]]);
      expect(await keys('session')).toEqual(['(none)', 's1']);
    });

    it('stores every row of a long batch (past any multi-row statement an implementation uses)', async () => {
      const rows = Array.from({ length: 37 }, (_, index) =>
        usage({
          ts: T0 + index,
          userId: `u${index % 3}`,
          inputTokens: index,
          costUsd: index % 5 === 0 ? null : 0.01,
        }),
      );
      await current.store.insert(rows);
      const { rows: users, totals } = await current.store.report({ by: 'user' });
      expect(totals.calls).toBe(37);
      expect(totals.inputTokens).toBe((36 * 37) / 2);
      expect(totals.unknownCostCalls).toBe(8);
      expect(users.map((row) => [row.key, row.calls]).sort()).toEqual([
        ['u0', 13],
        ['u1', 12],
        ['u2', 12],
      ]);
    });

    it('filters by time (since inclusive, until exclusive) and user', async () => {
      await current.store.insert([
        usage(),
        usage({ ts: T0 + 1000, userId: 'bob' }),
        usage({ ts: T0 + 2000 }),
      ]);
      const calls = async (query: Omit<Parameters<UsageStore['report']>[0], 'by'>) =>
        (await current.store.report({ by: 'user', ...query })).totals.calls;
      expect(await calls({ since: T0 + 1000 })).toBe(2);
      expect(await calls({ until: T0 + 1000 })).toBe(1);
      expect(await calls({ since: T0 + 1000, until: T0 + 2000 })).toBe(1);
      expect(await calls({ userId: 'bob' })).toBe(1);
      expect(await calls({ userId: "' OR 1=1 --" })).toBe(0);
    });

    it('prunes rows older than a time, then all but the newest rows', async () => {
      await current.store.insert(
        Array.from({ length: 6 }, (_, i) => usage({ ts: T0 + i * 1000, inputTokens: i })),
      );
      expect(await current.store.prune(T0 + 2000, 1_000_000)).toBe(2);
      expect(await current.store.prune(T0, 3)).toBe(1);
      const left = await current.store.report({ by: 'day' });
      expect(left.totals).toMatchObject({ calls: 3, inputTokens: 3 + 4 + 5 });
      expect(await current.store.prune(T0, 3)).toBe(0);
    });
  });
}
