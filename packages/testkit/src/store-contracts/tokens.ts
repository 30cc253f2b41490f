/**
 * The TokenStore contract: every implementation runs these against a real backend. They pin
 * exact round trips (hostile labels), refusal of a second id or digest without a change, lookup
 * by exact digest of usable tokens only, activation and revocation that happen once (also
 * between two handles racing), and a user's standing.
 */
import type { NewToken, TokenStore } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { currentEach, HOSTILE_TEXT, rejection, type StoreOpener, withSecondHandle } from './harness.js';

const token = (id: string, fields: Partial<NewToken> = {}): NewToken => ({
  id,
  digest: `digest-of-${id}`,
  userId: 'alice',
  role: 'user',
  label: '',
  createdAt: '2026-11-25T10:00:00.000Z',
  pending: false,
  ...fields,
});

export function tokenStoreContract(open: StoreOpener<TokenStore>): void {
  describe('TokenStore contract', () => {
    const current = currentEach(open);

    it('round-trips every field exactly and lists oldest first', async () => {
      const labels = [...HOSTILE_TEXT];
      for (const [index, label] of labels.entries()) {
        await current.store.insert(
          token(`t${index}`, {
            label,
            role: index % 2 ? 'operator' : 'admin',
            userId: `u.${index}`,
            createdAt: `2026-11-25T10:00:0${labels.length - index}.000Z`,
            pending: index === 0,
          }),
        );
      }
      expect(await current.store.get('t1')).toEqual({
        id: 't1',
        userId: 'u.1',
        role: 'operator',
        label: labels[1],
        createdAt: `2026-11-25T10:00:0${labels.length - 1}.000Z`,
        revokedAt: null,
        pending: false,
      });
      expect((await current.store.get('t0'))?.pending).toBe(true);
      expect((await current.store.list()).map((found) => found.id)).toEqual(
        labels.map((_, index) => `t${index}`).reverse(),
      );
      expect(await current.store.get('ghost')).toBeUndefined();
    });

    it('refuses an id or a digest twice and keeps the first', async () => {
      await current.store.insert(token('a', { label: 'first' }));
      expect(await rejection(() => current.store.insert(token('a', { digest: 'other' })))).toBeDefined();
      expect(
        await rejection(() => current.store.insert(token('b', { digest: 'digest-of-a' }))),
      ).toBeDefined();
      expect(await current.store.list()).toEqual([expect.objectContaining({ id: 'a', label: 'first' })]);
    });

    it('finds by exact digest only the usable: not pending, not revoked', async () => {
      await current.store.insert(token('live'));
      await current.store.insert(token('waiting', { pending: true }));
      expect((await current.store.findUsable('digest-of-live'))?.id).toBe('live');
      for (const digest of ['digest-of-waiting', 'DIGEST-OF-LIVE', 'digest-of-%', "' OR 1=1 --", '']) {
        expect(await current.store.findUsable(digest)).toBeUndefined();
      }
      expect(await current.store.activate('waiting')).toBe(true);
      expect(await current.store.activate('waiting')).toBe(false);
      expect(await current.store.activate('ghost')).toBe(false);
      expect((await current.store.findUsable('digest-of-waiting'))?.id).toBe('waiting');
      expect(await current.store.revoke('live', '2026-11-25T11:00:00.000Z')).toBe(true);
      expect(await current.store.findUsable('digest-of-live')).toBeUndefined();
    });

    it('revokes once, keeps the first time, and never activates a revoked token', async () => {
      await current.store.insert(token('a', { pending: true }));
      expect(await current.store.revoke('a', '2026-11-25T11:00:00.000Z')).toBe(true);
      expect(await current.store.revoke('a', '2026-11-25T12:00:00.000Z')).toBe(false);
      expect(await current.store.revoke('ghost', '2026-11-25T12:00:00.000Z')).toBe(false);
      expect(await current.store.activate('a')).toBe(false);
      expect(await current.store.get('a')).toMatchObject({
        revokedAt: '2026-11-25T11:00:00.000Z',
        pending: true,
      });
    });

    it("counts a user's standing: tokens, usable ones, the last revocation", async () => {
      expect(await current.store.standing('nobody')).toEqual({ total: 0, usable: 0, lastRevokedAt: null });
      await current.store.insert(token('a'));
      await current.store.insert(token('b', { pending: true }));
      await current.store.insert(token('c', { userId: 'bob' }));
      expect(await current.store.standing('alice')).toEqual({ total: 2, usable: 1, lastRevokedAt: null });
      await current.store.revoke('b', '2026-11-25T11:00:00.000Z');
      await current.store.revoke('a', '2026-11-25T12:00:00.000Z');
      expect(await current.store.standing('alice')).toEqual({
        total: 2,
        usable: 0,
        lastRevokedAt: '2026-11-25T12:00:00.000Z',
      });
      expect(await current.store.standing('bob')).toEqual({ total: 1, usable: 1, lastRevokedAt: null });
    });

    it('lets exactly one of two racing handles revoke or activate a token', async () => {
      await current.store.insert(token('a', { pending: true }));
      await current.store.insert(token('b'));
      await withSecondHandle(current.opened, async (second) => {
        const activations = await Promise.all([current.store.activate('a'), second.activate('a')]);
        expect(activations.filter(Boolean)).toHaveLength(1);
        const revocations = await Promise.all([
          current.store.revoke('b', '2026-11-25T11:00:00.000Z'),
          second.revoke('b', '2026-11-25T12:00:00.000Z'),
        ]);
        expect(revocations.filter(Boolean)).toHaveLength(1);
        const revokedAt = (await second.get('b'))?.revokedAt;
        expect(revokedAt).toBe(revocations[0] ? '2026-11-25T11:00:00.000Z' : '2026-11-25T12:00:00.000Z');
      });
    });
  });
}
