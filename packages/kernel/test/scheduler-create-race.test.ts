/**
 * Creating schedules at once (one user's token sending many `POST /api/v1/schedules` together,
 * or gateways of one deployment) keeps `[scheduler] max_schedules_per_user` and one name per
 * user. The count and the name are read and the schedule inserted in one transaction; on
 * PostgreSQL (READ COMMITTED) two such transactions both read the count before either inserted,
 * so before, eight at once stored eight schedules past a limit of two, and a name twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

describe('schedules created at once', () => {
  it("keep the user's limit and names", async () => {
    const { kernel } = await testKernel([], { scheduler: { enabled: true, max_schedules_per_user: 2 } });
    const scheduler = await kernel.service('scheduler');
    const scope = { userId: 'alice', actor: 'test' };
    const made = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        scheduler.schedule({ name: `s${i}`, prompt: 'x', every: '1h' }, scope),
      ),
    );
    expect(made.filter((one) => one.status === 'fulfilled')).toHaveLength(2);
    expect(await scheduler.list({ userId: 'alice' })).toHaveLength(2);
    for (const one of made) {
      if (one.status === 'rejected')
        expect(String(one.reason)).toMatch(/already has 2 schedules|busy|locked/);
    }

    const named = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        scheduler.schedule(
          { name: 'same', prompt: 'x', every: '1h' },
          {
            userId: 'bob',
            actor: 'test',
          },
        ),
      ),
    );
    expect(named.filter((one) => one.status === 'fulfilled')).toHaveLength(1);
    expect(await scheduler.list({ userId: 'bob' })).toHaveLength(1);
  });
});
