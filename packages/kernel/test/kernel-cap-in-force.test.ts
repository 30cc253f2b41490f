/**
 * The two-person rule measured on the cap in force: a [budgets] default is a cap like any
 * other, so raising a user or an agent above it (or removing the cap that held them under it)
 * waits for a second person, while lowering applies at once; `budgets.show()` lists each cap in
 * force with its origin (explicit / default) and the caps nothing sets. A real kernel on a real
 * kernel.db; the approvals are carried out through the kernel's queue.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '../src/index.js';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

const DEFAULTS = { budgets: { user_daily_usd: 2, user_monthly_usd: 20, agent_daily_usd: 3 } };

const capOf = async (kernel: Kernel, scope: string, key: string) =>
  (await (await kernel.service('budgets')).show())
    .find((budget) => budget.scope === scope)
    ?.caps.find((cap) => cap.key === key);

/** A cap change through the kernel's two-person rule (what the gateway's routes call): a raise is queued. */
async function change(kernel: Kernel, user: string, key: 'daily_usd' | 'monthly_usd', value: number | null) {
  const outcome = await (await kernel.service('adminPolicy')).changeCap({ user }, key, value, 'token:first');
  return outcome.status === 'pending_approval' ? outcome.approval : undefined;
}

describe('the cap in force', () => {
  it('a raise over a [budgets] default waits for a second admin, who applies it', async () => {
    const { kernel } = await testKernel([], DEFAULTS);
    await (await kernel.service('tokens')).add('xavier', 'user', 'x', 'test');
    expect(await capOf(kernel, 'user:xavier', 'daily_usd')).toMatchObject({
      limit: 2,
      origin: 'default',
      source: 'budgets.user_daily_usd',
    });

    const pending = await change(kernel, 'xavier', 'daily_usd', 200);
    expect(pending?.status).toBe('pending');
    // Not applied: the default still holds.
    expect((await capOf(kernel, 'user:xavier', 'daily_usd'))?.limit).toBe(2);
    expect(await (await kernel.service('audit')).list({ type: 'budget_change' })).toEqual([]);

    // The one who asked cannot decide; a second admin can.
    await expect(
      async () => await (await kernel.service('adminApprovals')).approve(pending!.id, 'token:first'),
    ).rejects.toThrow(/cannot be decided by the one who made it/);
    expect((await (await kernel.service('adminApprovals')).approve(pending!.id, 'token:second')).status).toBe(
      'approved',
    );
    expect(await capOf(kernel, 'user:xavier', 'daily_usd')).toMatchObject({
      limit: 200,
      origin: 'explicit',
      source: 'oxydra budget set',
    });
  });

  it('lowering under a default applies at once; so does the monthly one and an agent’s', async () => {
    const { kernel } = await testKernel([], DEFAULTS);
    expect(await change(kernel, 'yara', 'daily_usd', 1)).toBeUndefined();
    expect(await change(kernel, 'yara', 'monthly_usd', 10)).toBeUndefined();
    expect(await capOf(kernel, 'user:yara', 'daily_usd')).toMatchObject({ limit: 1, origin: 'explicit' });
    expect((await capOf(kernel, 'user:yara', 'monthly_usd'))?.limit).toBe(10);
    // The monthly default is a cap too: going over it waits.
    expect(
      await (await kernel.service('adminApprovals')).capChangeNeedsApproval(
        { user: 'zed' },
        'monthly_usd',
        21,
      ),
    ).toBe(true);
    expect(
      await (await kernel.service('adminApprovals')).capChangeNeedsApproval(
        { user: 'zed' },
        'monthly_usd',
        20,
      ),
    ).toBe(false);
    // An agent under agent_daily_usd.
    expect(
      await (await kernel.service('adminApprovals')).capChangeNeedsApproval(
        { agent: 'default' },
        'daily_usd',
        30,
      ),
    ).toBe(true);
    expect(
      await (await kernel.service('adminApprovals')).capChangeNeedsApproval(
        { agent: 'default' },
        'daily_usd',
        1,
      ),
    ).toBe(false);
    // Where nothing applies, a first cap only takes power away.
    expect(
      await (await kernel.service('adminApprovals')).capChangeNeedsApproval(
        { agent: 'default' },
        'calls_per_window',
        99,
      ),
    ).toBe(false);
  });

  it('removing a cap is measured on what applies after it: a higher default or none is a raise', async () => {
    const { kernel } = await testKernel([], DEFAULTS);
    for (const user of ['uma', 'vic']) await (await kernel.service('tokens')).add(user, 'user', user, 'test');
    // Under the default: removing it lifts the user from 1 back to the default's 2.
    await change(kernel, 'uma', 'daily_usd', 1);
    const lift = await change(kernel, 'uma', 'daily_usd', null);
    expect(lift?.status).toBe('pending');
    expect((await capOf(kernel, 'user:uma', 'daily_usd'))?.limit).toBe(1);
    await (await kernel.service('adminApprovals')).approve(lift!.id, 'cli');
    expect(await capOf(kernel, 'user:uma', 'daily_usd')).toMatchObject({ limit: 2, origin: 'default' });

    // Over the default (set by an earlier approval): removing it lowers to 2, at once.
    await (await kernel.service('budgets')).set({ user: 'vic' }, 'daily_usd', 50, 'cli');
    expect(await change(kernel, 'vic', 'daily_usd', null)).toBeUndefined();
    expect(await capOf(kernel, 'user:vic', 'daily_usd')).toMatchObject({ limit: 2, origin: 'default' });

    // An agent cap with no default under it: removing it leaves none, a raise to infinity.
    await (await kernel.service('budgets')).set({ agent: 'default' }, 'calls_per_window', 5, 'cli');
    expect(
      await (await kernel.service('adminApprovals')).capChangeNeedsApproval(
        { agent: 'default' },
        'calls_per_window',
        null,
      ),
    ).toBe(true);
  });

  it('removing a cap that comes from the configuration is refused: nothing to remove, the default stays', async () => {
    const { kernel } = await testKernel([], DEFAULTS);
    await (await kernel.service('tokens')).add('walt', 'user', 'w', 'test');
    await expect(
      async () =>
        await (await kernel.service('budgets')).set({ user: 'walt' }, 'daily_usd', undefined, 'cli'),
    ).rejects.toThrow('user:walt has no daily_usd cap set with `oxydra budget set`: nothing to remove');
    try {
      await (await kernel.service('budgets')).set({ user: 'walt' }, 'daily_usd', undefined, 'cli');
    } catch (error) {
      expect((error as { hint?: string }).hint).toContain(
        'the cap in force (2) comes from budgets.user_daily_usd in the configuration',
      );
    }
    expect((await capOf(kernel, 'user:walt', 'daily_usd'))?.limit).toBe(2);
    expect(await (await kernel.service('audit')).list({ type: 'budget_change' })).toEqual([]);
  });

  it('show lists token users and configured agents with each cap’s origin, and the caps nothing sets', async () => {
    const { kernel } = await testKernel([], {
      budgets: { user_daily_usd: 2, agents: { helper: { calls_per_window: 7 } } },
      agents: { helper: { description: 'helps' }, idle: { description: 'idles' } },
    });
    await (await kernel.service('tokens')).add('nadia', 'user', 'n', 'test');
    const shown = await (await kernel.service('budgets')).show();
    const nadia = shown.find((budget) => budget.scope === 'user:nadia')!;
    expect(nadia.caps).toEqual([
      expect.objectContaining({
        key: 'daily_usd',
        limit: 2,
        origin: 'default',
        source: 'budgets.user_daily_usd',
      }),
    ]);
    expect(nadia.uncapped).toEqual(['monthly_usd']);
    const helper = shown.find((budget) => budget.scope === 'agent:helper')!;
    expect(helper.caps).toEqual([
      expect.objectContaining({
        key: 'calls_per_window',
        origin: 'explicit',
        source: 'budgets.agents.helper.calls_per_window',
      }),
    ]);
    expect(shown.find((budget) => budget.scope === 'agent:idle')?.uncapped).toEqual([
      'daily_usd',
      'monthly_usd',
      'tokens_per_window',
      'calls_per_window',
    ]);
  });
});
