/**
 * The ApprovalStore contract: every implementation runs these against a real backend. They pin
 * exact round trips of an operation's JSON parameters, refusal of an id twice, which requests
 * are pending (not decided, not expired) in which order, and a decision made once: of two
 * deciders (also two handles racing) exactly one wins and the first decision stays.
 */
import type { ApprovalStore, NewApproval } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { currentEach, HOSTILE_TEXT, rejection, type StoreOpener, withSecondHandle } from './harness.js';

const request = (id: string, minute: number, fields: Partial<NewApproval> = {}): NewApproval => ({
  id,
  op: 'budget_set',
  params: { target: { user: 'alice' }, key: 'daily_usd', value: 5 },
  requestedBy: 'token:abc',
  requestedAt: `2026-11-25T10:${String(minute).padStart(2, '0')}:00.000Z`,
  expiresAt: '2026-11-26T10:00:00.000Z',
  ...fields,
});

const decision = (decidedBy: string, status: 'approved' | 'rejected' = 'approved') => ({
  status,
  decidedBy,
  decidedAt: '2026-11-25T11:00:00.000Z',
});

export function approvalStoreContract(open: StoreOpener<ApprovalStore>): void {
  describe('ApprovalStore contract', () => {
    const current = currentEach(open);

    it("round-trips a request and its parameters' JSON exactly", async () => {
      const params = {
        token: 'abc',
        nested: { list: [1, 2.5, null, true], text: [...HOSTILE_TEXT] },
        value: null,
      };
      await current.store.insert(
        request('ap-1', 1, { op: 'token_activate', params, requestedBy: 'token:ü' }),
      );
      expect(await current.store.get('ap-1')).toEqual({
        id: 'ap-1',
        op: 'token_activate',
        params,
        requestedBy: 'token:ü',
        requestedAt: '2026-11-25T10:01:00.000Z',
        expiresAt: '2026-11-26T10:00:00.000Z',
        status: 'pending',
      });
      expect(await current.store.get('ghost')).toBeUndefined();
      expect(await rejection(() => current.store.insert(request('ap-1', 2, { op: 'other' })))).toBeDefined();
      expect((await current.store.get('ap-1'))?.op).toBe('token_activate');
    });

    it('lists pending requests oldest first, leaving out decided and expired ones; all newest first', async () => {
      await current.store.insert(request('old', 1));
      await current.store.insert(request('expired', 2, { expiresAt: '2026-11-25T10:30:00.000Z' }));
      await current.store.insert(request('decided', 3));
      await current.store.insert(request('new', 4));
      await current.store.decide('decided', decision('cli', 'rejected'));
      const pending = await current.store.listPending('2026-11-25T10:30:00.000Z');
      expect(pending.map((found) => found.id)).toEqual(['old', 'new']);
      expect((await current.store.listPending('2026-11-25T10:29:59.999Z')).map((found) => found.id)).toEqual([
        'old',
        'expired',
        'new',
      ]);
      expect((await current.store.listAll()).map((found) => found.id)).toEqual([
        'new',
        'decided',
        'expired',
        'old',
      ]);
    });

    it('decides once: the first decision stays, with its reason', async () => {
      await current.store.insert(request('a', 1));
      expect(
        await current.store.decide('a', { ...decision('token:ops', 'rejected'), reason: "it's 🎉 too much" }),
      ).toBe(true);
      expect(await current.store.decide('a', decision('cli'))).toBe(false);
      expect(await current.store.decide('ghost', decision('cli'))).toBe(false);
      expect(await current.store.get('a')).toMatchObject({
        status: 'rejected',
        decidedBy: 'token:ops',
        decidedAt: '2026-11-25T11:00:00.000Z',
        reason: "it's 🎉 too much",
      });
      await current.store.insert(request('b', 2));
      await current.store.decide('b', decision('cli'));
      expect(await current.store.get('b')).not.toHaveProperty('reason');
    });

    it('lets exactly one of two racing handles decide a request', async () => {
      await current.store.insert(request('a', 1));
      await withSecondHandle(current.opened, async (second) => {
        const won = await Promise.all([
          current.store.decide('a', decision('first')),
          second.decide('a', decision('second', 'rejected')),
        ]);
        expect(won.filter(Boolean)).toHaveLength(1);
        expect((await second.get('a'))?.decidedBy).toBe(won[0] ? 'first' : 'second');
      });
    });
  });
}
