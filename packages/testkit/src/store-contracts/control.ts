/**
 * The ControlStoreGroup contract: a transaction of the group binds its stores to one
 * transaction. Pinned: fn's writes to both stores commit together and fn's value is returned;
 * when fn throws, rejects, or a store call in it is refused, none of them is kept and the error
 * reaches the caller; a write made outside while a transaction is open is never lost with that
 * transaction's rollback.
 */
import type { ControlStoreGroup, ControlStores, NewApproval, NewToken } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { currentEach, rejection, type StoreOpener, withSecondHandle } from './harness.js';
import { newRun, storedSchedule } from './schedule-rows.js';

const token = (id: string): NewToken => ({
  id,
  digest: `digest-of-${id}`,
  userId: 'alice',
  role: 'admin',
  label: '',
  createdAt: '2026-11-25T10:00:00.000Z',
  pending: true,
});

const approval = (id: string, tokenId: string): NewApproval => ({
  id,
  op: 'token_activate',
  params: { token: tokenId },
  requestedBy: 'token:x',
  requestedAt: '2026-11-25T10:00:00.000Z',
  expiresAt: '2026-11-26T10:00:00.000Z',
});

/**
 * Counts the running runs and, when fewer than `slots`, starts one, as a scheduler's claim does;
 * the pause between count and start is where a second claimer would slip in.
 */
const startIfFree = (group: ControlStoreGroup, id: string, slots: number) =>
  group.transaction(async ({ schedules }) => {
    const running = (await schedules.running()).length;
    await new Promise((resolve) => setTimeout(resolve, 25));
    if (running >= slots) return false;
    await schedules.startManual(newRun(id, { trigger: 'manual', leaseOwner: `owner-of-${id}` }));
    return true;
  });

const decided = { status: 'approved', decidedBy: 'cli', decidedAt: '2026-11-25T11:00:00.000Z' } as const;

export function controlStoreGroupContract(open: StoreOpener<ControlStoreGroup>): void {
  describe('ControlStoreGroup contract', () => {
    const current = currentEach(open);

    it('commits the writes of both stores together and returns what fn returns', async () => {
      await current.store.tokens.insert(token('t'));
      await current.store.approvals.insert(approval('ap', 't'));
      const result = await current.store.transaction(async ({ tokens, approvals }) => {
        const activated = await tokens.activate('t');
        const decidedNow = await approvals.decide('ap', decided);
        return { activated, decidedNow };
      });
      expect(result).toEqual({ activated: true, decidedNow: true });
      expect((await current.store.tokens.get('t'))?.pending).toBe(false);
      expect((await current.store.approvals.get('ap'))?.status).toBe('approved');
    });

    it('keeps nothing when fn throws, rejects, or a store call in it is refused', async () => {
      await current.store.tokens.insert(token('t'));
      await current.store.approvals.insert(approval('ap', 't'));
      const failures: Array<(stores: ControlStores) => Promise<void>> = [
        async ({ tokens, approvals }) => {
          await tokens.activate('t');
          await approvals.decide('ap', decided);
          throw new Error('carrying it out failed');
        },
        async ({ tokens }) => {
          await tokens.activate('t');
          await tokens.insert(token('u'));
          await Promise.reject(new Error('later'));
        },
        async ({ tokens, approvals }) => {
          await approvals.decide('ap', decided);
          await tokens.insert(token('t'));
        },
      ];
      for (const fn of failures) {
        expect(await rejection(() => current.store.transaction(fn))).toBeInstanceOf(Error);
        expect(await current.store.tokens.get('t')).toMatchObject({ pending: true, revokedAt: null });
        expect(await current.store.tokens.get('u')).toBeUndefined();
        expect((await current.store.approvals.get('ap'))?.status).toBe('pending');
      }
      expect((await current.store.tokens.list()).map((found) => found.id)).toEqual(['t']);
    });

    it('commits an audit entry with what it records, or neither', async () => {
      await current.store.tokens.insert(token('t'));
      const entry = {
        seq: 1,
        ts: '2026-11-25T11:00:00.000Z',
        actor: 'cli',
        actionType: 'token_activate',
        action: '{"data":{"token":"t"},"type":"token_activate"}',
        resource: 't',
        prevHash: 'genesis',
        hash: 'h1',
      };
      const seal = () => 'resealed';
      const failed = rejection(() =>
        current.store.transaction(async ({ tokens, audit }) => {
          await tokens.activate('t');
          await audit.append([entry], seal);
          throw new Error('carrying it out failed');
        }),
      );
      expect(await failed).toBeInstanceOf(Error);
      expect(await current.store.audit.count()).toBe(0);
      expect((await current.store.tokens.get('t'))?.pending).toBe(true);
      await current.store.transaction(async ({ tokens, audit }) => {
        await tokens.activate('t');
        await audit.append([entry], seal);
      });
      expect(await current.store.audit.range(0, 10)).toEqual([entry]);
      expect((await current.store.tokens.get('t'))?.pending).toBe(false);
    });

    it('lets one transaction at a time count the running runs, so two claimers never share a free slot', async () => {
      await current.store.schedules.insert(storedSchedule('s', { nextRunAt: null }));
      await withSecondHandle(current.opened, async (second) => {
        const started = await Promise.all([
          startIfFree(current.store, 'r1', 2),
          startIfFree(second, 'r2', 2),
          startIfFree(current.store, 'r3', 2),
          startIfFree(second, 'r4', 2),
        ]);
        expect(started.filter(Boolean)).toHaveLength(2);
      });
      expect(await current.store.schedules.running()).toHaveLength(2);
    });

    it('never loses a write made outside while a transaction is open and rolls back', async () => {
      let started = () => {};
      const begun = new Promise<void>((resolve) => {
        started = resolve;
      });
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const failing = current.store.transaction(async ({ tokens }) => {
        await tokens.insert(token('inside'));
        started();
        await held;
        throw new Error('roll back');
      });
      await begun;
      const outside = current.store.tokens.insert(token('outside'));
      release();
      expect(await rejection(() => failing)).toBeInstanceOf(Error);
      await outside;
      expect((await current.store.tokens.list()).map((found) => found.id)).toEqual(['outside']);
    });
  });
}
