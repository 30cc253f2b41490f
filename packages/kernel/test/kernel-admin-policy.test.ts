/**
 * The two-person rule driven through the kernel alone (no gateway): an admin token asked for
 * remotely and a cap raise wait for a second person, the one who asked cannot approve, a
 * lowering applies at once, and the queue's live feed hears every request and decision.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ApprovalChange } from '../src/exports/admin.js';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

describe("the kernel's admin policy", () => {
  it('an admin token waits for a second person; the one who asked cannot approve it', async () => {
    const { kernel } = await testKernel([]);
    const heard: ApprovalChange[] = [];
    const stop = (await kernel.service('adminPolicy')).feed.subscribe((change) => heard.push(change));
    try {
      const made = await (await kernel.service('adminPolicy')).makeToken(
        'root2',
        'admin',
        'second admin',
        'token:first',
      );
      if (made.status !== 'pending_approval') throw new Error('an admin token must wait for approval');
      expect(
        (await (await kernel.service('tokens')).list()).find((token) => token.id === made.id)?.pending,
      ).toBe(true);
      await expect(
        async () => await (await kernel.service('adminPolicy')).approve(made.approval.id, 'token:first'),
      ).rejects.toThrow();
      expect((await (await kernel.service('adminApprovals')).get(made.approval.id))?.status).toBe('pending');

      const approved = await (await kernel.service('adminPolicy')).approve(made.approval.id, 'token:second');
      expect(approved.status).toBe('approved');
      expect(
        (await (await kernel.service('tokens')).list()).find((token) => token.id === made.id)?.pending,
      ).toBe(false);
      expect(heard.map((change) => change.type)).toEqual(['requested', 'approved']);

      // A user token applies at once: nothing to approve, nothing on the feed.
      expect(
        (await (await kernel.service('adminPolicy')).makeToken('ann', 'user', '', 'token:first')).status,
      ).toBe('active');
      expect(heard).toHaveLength(2);
    } finally {
      stop();
    }
  });

  it('a cap raise waits and a rejection leaves it unapplied; a lowering applies at once', async () => {
    const { kernel } = await testKernel([], { budgets: { user_daily_usd: 2 } });
    await (await kernel.service('tokens')).add('ann', 'user', 'a', 'test'); // a token's user is listed with the default cap
    const raise = await (await kernel.service('adminPolicy')).changeCap(
      { user: 'ann' },
      'daily_usd',
      5,
      'token:first',
    );
    if (raise.status !== 'pending_approval') throw new Error('a raise must wait for approval');
    expect(
      (await (await kernel.service('adminPolicy')).reject(raise.approval.id, 'token:second', 'too much'))
        .status,
    ).toBe('rejected');
    const capOf = async () =>
      (await (await kernel.service('budgets')).show())
        .find((budget) => budget.scope === 'user:ann')
        ?.caps.find((cap) => cap.key === 'daily_usd')?.limit;
    expect(await capOf()).toBe(2);
    expect(
      await (await kernel.service('adminPolicy')).changeCap({ user: 'ann' }, 'daily_usd', 1, 'token:first'),
    ).toEqual({
      status: 'applied',
    });
    expect(await capOf()).toBe(1);
  });
});
