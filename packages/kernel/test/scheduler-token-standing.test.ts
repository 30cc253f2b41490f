/**
 * A schedule does not outlive its user's access: revoking the user's last token (or the token
 * it runs under) pauses it, persisted with the reason, and nothing runs — whether the revocation
 * went through the kernel (paused at once) or reached kernel.db some other way (paused when it
 * falls due). Resuming is refused while the user has no token and works after a new one. The
 * owner's schedules (a user that never held a token) run as before. A real kernel, a real
 * kernel.db, the testkit's mock model, a hand-driven clock.
 */
import { handClock } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { openKernelDb } from '../src/store/kernel-db.js';
import { closeAll, ON_POSTGRES, testKernel } from './helpers.js';

afterEach(closeAll);

const HOUR = 3_600_000;
const ON = { scheduler: { enabled: true } };
const TASK = 'report the night shift';
const asked = (requests: { body: unknown }[]) =>
  requests.filter((request) => JSON.stringify(request.body).includes(TASK)).length;
const REVOKED =
  /^paused: the user's last token was revoked on \d{4}-\d\d-\d\d \d\d:\d\d UTC; resume with `oxydra schedule resume (sch_[0-9a-f]+)` after issuing a token$/;

async function aliceSchedule() {
  const clock = handClock();
  const test = await testKernel([{ reply: { text: 'night shift: quiet' }, times: 'always' }], ON, { clock });
  const made = await (await test.kernel.service('tokens')).add('alice', 'user', 'laptop', 'test');
  const schedule = await (await test.kernel.service('scheduler')).schedule(
    { name: 'night', prompt: TASK, every: '1h' },
    { userId: 'alice', actor: `token:${made.id}` },
  );
  return { ...test, clock, token: made.id, schedule };
}

describe('schedules and their user’s tokens', () => {
  it('revoking the user’s only token pauses the schedule with the reason; nothing runs', async () => {
    const { kernel, mock, clock, token, schedule } = await aliceSchedule();
    expect(await (await kernel.service('tokens')).revoke(token, 'cli')).toBe(true);

    const paused = await (await kernel.service('scheduler')).get(schedule.id);
    expect(paused.enabled).toBe(false);
    expect(paused.disabledReason).toMatch(REVOKED);
    expect(paused.disabledReason!.match(REVOKED)![1]).toBe(schedule.id);
    expect(await (await kernel.service('audit')).list({ type: 'schedule_pause' })).toEqual([
      expect.objectContaining({ actor: 'scheduler', resource: `schedule:${schedule.id}` }),
    ]);

    clock.advance(2 * HOUR);
    expect(await (await kernel.service('scheduler')).tick()).toEqual([]);
    await expect(
      async () => await (await kernel.service('scheduler')).runNow(schedule.id, { actor: 'cli' }),
    ).rejects.toThrow(/is paused: the user's last token was revoked on/);
    await (await kernel.service('scheduler')).idle();
    expect(asked(mock.requests)).toBe(0);
    expect(await (await kernel.service('scheduler')).history(schedule.id)).toEqual([]);
  });

  // libSQL only: revokes the token by writing kernel.db, the libSQL file
  it.skipIf(ON_POSTGRES)(
    'a revocation that bypassed the kernel still pauses the schedule when it falls due',
    async () => {
      const { kernel, mock, clock, token, schedule, workspace } = await aliceSchedule();
      // Another process (an older binary, a hand edit) revokes it straight in kernel.db.
      const other = await openKernelDb(workspace);
      try {
        other
          .prepare('UPDATE gateway_tokens SET revoked_at = ? WHERE id = ?')
          .run(new Date().toISOString(), token);
      } finally {
        other.close();
      }
      expect((await (await kernel.service('scheduler')).get(schedule.id)).enabled).toBe(true);
      clock.advance(HOUR);
      expect(await (await kernel.service('scheduler')).tick()).toEqual([]);
      await (await kernel.service('scheduler')).idle();
      expect(asked(mock.requests)).toBe(0);
      const paused = await (await kernel.service('scheduler')).get(schedule.id);
      expect(paused.enabled).toBe(false);
      expect(paused.disabledReason).toMatch(REVOKED);
    },
  );

  it('resume is refused while the user has no token, and works after a new one', async () => {
    const { kernel, mock, clock, token, schedule } = await aliceSchedule();
    await (await kernel.service('tokens')).revoke(token, 'cli');
    await expect(
      async () => await (await kernel.service('scheduler')).resume(schedule.id, { actor: 'cli' }),
    ).rejects.toThrow(
      new RegExp(`^cannot resume ${schedule.id} "night": the user's last token was revoked on `),
    );
    try {
      await (await kernel.service('scheduler')).resume(schedule.id, { actor: 'cli' });
    } catch (error) {
      expect((error as { hint?: string }).hint).toBe(
        'issue one with `oxydra token add --user alice`, then resume',
      );
    }
    expect((await (await kernel.service('scheduler')).get(schedule.id)).enabled).toBe(false);

    await (await kernel.service('tokens')).add('alice', 'user', 'new laptop', 'cli');
    const resumed = await (await kernel.service('scheduler')).resume(schedule.id, { actor: 'cli' });
    expect(resumed.enabled).toBe(true);
    expect(resumed.disabledReason).toBeUndefined();
    clock.advance(HOUR);
    expect(await (await kernel.service('scheduler')).tick()).toHaveLength(1);
    await (await kernel.service('scheduler')).idle();
    expect(asked(mock.requests)).toBe(1);
  });

  it('revoking the token it runs under pauses it though the user has another; a resume rebinds it', async () => {
    const { kernel, mock, clock, token, schedule } = await aliceSchedule();
    const other = await (await kernel.service('tokens')).add('alice', 'user', 'phone', 'test');
    await (await kernel.service('tokens')).revoke(token, 'cli');
    const paused = await (await kernel.service('scheduler')).get(schedule.id);
    expect(paused.disabledReason).toMatch(
      new RegExp(
        `^paused: the token it runs under \\(${token}\\) was revoked on .+ UTC; resume with \`oxydra schedule resume ${schedule.id}\`$`,
      ),
    );
    // Resumed by alice's other token: it now runs under that one.
    await (await kernel.service('scheduler')).resume(schedule.id, {
      userId: 'alice',
      actor: `token:${other.id}`,
    });
    clock.advance(HOUR);
    expect(await (await kernel.service('scheduler')).tick()).toHaveLength(1);
    await (await kernel.service('scheduler')).idle();
    expect(asked(mock.requests)).toBe(1);
    await (await kernel.service('tokens')).revoke(other.id, 'cli');
    expect((await (await kernel.service('scheduler')).get(schedule.id)).enabled).toBe(false);
  });

  it('the owner’s schedules, made at the terminal for a user that never held a token, run', async () => {
    const clock = handClock();
    const { kernel, mock } = await testKernel([{ reply: { text: 'ok' }, times: 'always' }], ON, { clock });
    await (await kernel.service('tokens')).revoke(
      (await (await kernel.service('tokens')).add('bob', 'user', 'b', 'test')).id,
      'cli',
    );
    const mine = await (await kernel.service('scheduler')).schedule(
      { name: 'mine', prompt: TASK, every: '1h' },
      { actor: 'cli' },
    );
    expect(mine.userId).toBe('default');
    clock.advance(HOUR);
    expect(await (await kernel.service('scheduler')).tick()).toHaveLength(1);
    await (await kernel.service('scheduler')).idle();
    expect(asked(mock.requests)).toBe(1);
    expect((await (await kernel.service('scheduler')).get('mine')).enabled).toBe(true);
  });
});
