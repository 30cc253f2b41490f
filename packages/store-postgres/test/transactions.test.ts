/**
 * The control group's transactions on PostgreSQL beyond the shared suite: a failure inside fn
 * leaves nothing in any store it wrote (audit head included), a nested transaction and the
 * group's own stores called inside fn join it (no self-deadlock on a row fn has locked), and a
 * refused call that fn catches does not spoil the rest of the transaction.
 */
import type { PostgresStores } from '@oxydra/store-postgres';
import { storedSchedule } from '@oxydra/testkit/store-contracts';
import type { NewToken } from '@oxydra/types';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describePostgres, postgresOpener } from './postgres-helpers.js';

const token = (id: string): NewToken => ({
  id,
  digest: `digest-of-${id}`,
  userId: 'alice',
  role: 'user',
  label: '',
  createdAt: '2026-11-25T10:00:00.000Z',
  pending: true,
});

const entry = {
  seq: 1,
  ts: '2026-11-25T11:00:00.000Z',
  actor: 'cli',
  actionType: 'x',
  action: '{"type":"x"}',
  resource: '',
  prevHash: 'genesis',
  hash: 'h1',
};

describePostgres('PostgreSQL control transactions', () => {
  let stores: PostgresStores;
  let close: () => Promise<void>;
  beforeEach(async () => {
    const opened = await postgresOpener((all) => all)();
    stores = opened.store;
    close = opened.close;
  });
  afterEach(() => close());

  it('keeps nothing of any store when fn fails after writing to all of them', async () => {
    const { control } = stores;
    await control.schedules.insert(storedSchedule('s'));
    const failed = control.transaction(async (inside) => {
      await inside.tokens.insert(token('t'));
      await inside.audit.append([entry], () => 'resealed');
      await inside.spend.reserve(
        { id: 'r', usd: 1, targets: [{ scope: 'user:alice', period: 'day:x' }], expiresAt: 10_000 },
        0,
        [],
        () => {},
      );
      await inside.spend.settle([], [{ scope: 'user:alice', period: 'day:x', usd: 2, tokens: 3, calls: 1 }]);
      await inside.usage.insert([
        {
          ts: 1,
          kind: 'model',
          agentId: null,
          agentName: null,
          userId: 'alice',
          sessionId: null,
          provider: null,
          model: null,
          inputTokens: 1,
          outputTokens: 1,
          cacheReadTokens: 0,
          costUsd: 0.1,
        },
      ]);
      const claimed = await inside.schedules.claim(
        {
          id: 'run',
          scheduleId: 's',
          userId: 'alice',
          dueAt: 1000,
          trigger: 'schedule',
          missed: 0,
          startedAt: 1001,
          leaseOwner: 'me',
          leaseUntil: 5000,
        },
        2000,
      );
      expect(claimed?.id).toBe('run');
      throw new Error('carrying it out failed');
    });
    await expect(failed).rejects.toThrow('carrying it out failed');
    expect(await control.tokens.list()).toEqual([]);
    expect(await control.audit.head()).toBeUndefined();
    expect(await control.audit.count()).toBe(0);
    expect(await control.spend.used({ scope: 'user:alice', period: 'day:x' }, 0)).toEqual({
      usd: 0,
      tokens: 0,
      calls: 0,
      reservedUsd: 0,
      reservedCalls: 0,
    });
    expect((await control.usage.report({ by: 'day' })).totals.calls).toBe(0);
    expect((await control.schedules.get('s'))?.nextRunAt).toBe(1000);
    expect(await control.schedules.running()).toEqual([]);
    // The chain starts at genesis afterwards, not after the rolled-back entry.
    expect(await control.audit.append([entry], () => 'resealed')).toEqual([entry]);
  });

  it('joins a nested transaction and the group stores called inside fn, rolling back with it', async () => {
    const { control } = stores;
    await control.tokens.insert(token('t'));
    const failed = control.transaction(async (inside) => {
      expect(await inside.tokens.activate('t')).toBe(true);
      // The group's own store, not the one fn was given: it must see fn's write (and not wait
      // for the row lock fn holds).
      expect((await control.tokens.get('t'))?.pending).toBe(false);
      await control.transaction(async (nested) => {
        await nested.tokens.insert(token('nested'));
      });
      expect((await inside.tokens.get('nested'))?.id).toBe('nested');
      throw new Error('roll back all of it');
    });
    await expect(failed).rejects.toThrow('roll back all of it');
    expect((await control.tokens.get('t'))?.pending).toBe(true);
    expect(await control.tokens.get('nested')).toBeUndefined();
  });

  it('goes on after a refused call that fn catches, and commits the rest', async () => {
    const { control } = stores;
    await control.tokens.insert(token('t'));
    await control.transaction(async (inside) => {
      await expect(inside.tokens.insert(token('t'))).rejects.toThrow();
      expect(await inside.tokens.activate('t')).toBe(true);
      await inside.tokens.insert(token('u'));
    });
    expect((await control.tokens.get('t'))?.pending).toBe(false);
    expect((await control.tokens.list()).map((found) => found.id)).toEqual(['t', 'u']);
  });
});
