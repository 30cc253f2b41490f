/**
 * The scheduler through the kernel with an injected clock: a schedule an agent creates with its
 * tool fires, its run is recorded with cost and announced; operator limits hold; failures alert
 * then pause; a schedule missed while nothing ran is made up once; two kernels on one database
 * fire a run once; another user's schedules are invisible.
 */
import { handClock } from '@oxydra/testkit';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduleNotification } from '../src/scheduler/index.js';
import { closeAll, ownerSessions, secondKernel, testKernel } from './helpers.js';

afterEach(closeAll);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const COSTLY = { input: 10_000, output: 1000 };
const ON = { scheduler: { enabled: true } };

describe('scheduler', () => {
  it('a schedule made by an agent tool fires, is recorded with its cost and announced', async () => {
    const clock = handClock();
    const { kernel, mock } = await testKernel(
      [
        {
          match: { lastMessageContains: 'every hour' },
          reply: {
            toolCalls: [
              {
                name: 'schedule_create',
                arguments: {
                  name: 'weather',
                  prompt: 'Report the weather in Paris.',
                  every: '1h',
                  timezone: 'Europe/Paris',
                },
              },
            ],
          },
        },
        { match: { lastToolResultContains: 'scheduled' }, reply: { text: 'Done: it runs hourly.' } },
        {
          match: { lastMessageContains: 'weather in Paris' },
          reply: { text: 'Sunny, 12°C.', usage: COSTLY },
        },
      ],
      ON,
      { clock },
    );
    const made = await kernel.agents.spawn({ prompt: 'Tell me the weather every hour', userId: 'alice' })
      .result;
    expect(made.status).toBe('completed');
    // The tool's schema has only what the model may set: no operator limits.
    const offered = (
      mock.requests[0]!.body as { tools: { function: { name: string; parameters: unknown } }[] }
    ).tools;
    const create = offered.find((tool) => tool.function.name === 'schedule_create')!;
    expect(JSON.stringify(create.function.parameters)).not.toMatch(/max_turns|max_cost|turns|cost/);

    const [schedule] = await (await kernel.service('scheduler')).list({ userId: 'alice' });
    expect(schedule).toMatchObject({
      name: 'weather',
      userId: 'alice',
      timing: 'every 1h',
      timezone: 'Europe/Paris',
    });
    expect(schedule!.nextRunAt).toBe(clock.now() + HOUR);
    expect(await (await kernel.service('scheduler')).list({ userId: 'bob' })).toEqual([]);

    const heard: ScheduleNotification[] = [];
    (await kernel.service('scheduler')).subscribe((notification) => heard.push(notification));
    expect(await (await kernel.service('scheduler')).tick()).toEqual([]);
    clock.advance(HOUR);
    const started = await (await kernel.service('scheduler')).tick();
    expect(started).toHaveLength(1);
    await (await kernel.service('scheduler')).idle();

    const [run] = await (await kernel.service('scheduler')).history('weather', { userId: 'alice' });
    expect(run).toMatchObject({
      status: 'completed',
      trigger: 'schedule',
      output: 'Sunny, 12°C.',
      turns: 1,
      missed: 0,
    });
    expect(run!.costUsd).toBeGreaterThan(0);
    expect(run!.sessionId).toBeDefined();
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ alert: false, disabled: false, schedule: { name: 'weather' } });
    expect(heard[0]!.run.output).toBe('Sunny, 12°C.');
    // The run was the schedule's user's: charged to alice, its session is alice's.
    expect(
      (await (await kernel.service('budgets')).show()).find((scope) => scope.scope === 'user:alice')!.today
        .calls,
    ).toBe(3);
    expect((await (await ownerSessions(kernel)).get(run!.sessionId!))?.userId).toBe('alice');
    // The next run keeps the rhythm and the audit chain has the creation and the run.
    expect((await (await kernel.service('scheduler')).get('weather')).nextRunAt).toBe(
      Date.parse('2026-11-23T10:00:00Z'),
    );
    const audited = (await (await kernel.service('audit')).list({})).map((entry) => entry.action.type);
    expect(audited).toEqual(expect.arrayContaining(['schedule_create', 'schedule_run']));
    // The scheduled prompt says it is scheduled and nobody watches.
    const runRequest = JSON.stringify(mock.requests.at(-1)!.body);
    expect(runRequest).toContain('Scheduled task \\"weather\\"');
  });

  it("runs within the operator's limits; failures alert, then pause the schedule", async () => {
    const clock = handClock();
    const { kernel } = await testKernel(
      [{ reply: { toolCalls: [{ name: 'file_list', arguments: { path: '.' } }] }, times: 'always' }],
      {
        scheduler: { enabled: true, max_turns: 2, auto_disable_after_failures: 2, notify_after_failures: 1 },
      },
      { clock },
    );
    await (await kernel.service('scheduler')).schedule(
      { name: 'loop', prompt: 'list files', every: '5m' },
      { actor: 'test' },
    );
    const heard: ScheduleNotification[] = [];
    (await kernel.service('scheduler')).subscribe((notification) => heard.push(notification));
    for (let i = 0; i < 2; i++) {
      clock.advance(5 * MINUTE);
      await (await kernel.service('scheduler')).tick();
      await (await kernel.service('scheduler')).idle();
    }
    const runs = await (await kernel.service('scheduler')).history('loop');
    expect(runs.map((run) => [run.status, run.turns])).toEqual([
      ['failed', 2],
      ['failed', 2],
    ]);
    expect(runs[0]!.error).toMatch(/turn/i);
    expect(heard.map((n) => [n.alert, n.disabled])).toEqual([
      [true, false],
      [true, true],
    ]);
    const paused = await (await kernel.service('scheduler')).get('loop');
    expect(paused).toMatchObject({ enabled: false, consecutiveFailures: 2 });
    expect(paused.disabledReason).toMatch(/2 failed runs in a row/);
    expect(paused.nextRunAt).toBeUndefined();
    clock.advance(HOUR);
    expect(await (await kernel.service('scheduler')).tick()).toEqual([]);
    // Resuming starts from now and forgets the failures.
    const resumed = await (await kernel.service('scheduler')).resume('loop', { actor: 'test' });
    expect(resumed).toMatchObject({
      enabled: true,
      consecutiveFailures: 0,
      nextRunAt: clock.now() + 5 * MINUTE,
    });
  });

  it('makes up runs missed while nothing ran with one catch-up run, then keeps the rhythm', async () => {
    const clock = handClock();
    const { kernel, mock } = await testKernel([{ reply: { text: 'ok' }, times: 'always' }], ON, { clock });
    await (await kernel.service('scheduler')).schedule(
      { name: 'tick', prompt: 'say ok', every: '1m' },
      { actor: 'test' },
    );
    clock.advance(10 * MINUTE + 30_000);
    expect(await (await kernel.service('scheduler')).tick()).toHaveLength(1);
    await (await kernel.service('scheduler')).idle();
    const [run] = await (await kernel.service('scheduler')).history('tick');
    expect(run).toMatchObject({ trigger: 'catch_up', missed: 9, status: 'completed' });
    expect(mock.requests).toHaveLength(1);
    expect((await (await kernel.service('scheduler')).get('tick')).nextRunAt).toBe(
      Date.parse('2026-11-23T08:11:00Z'),
    );
  });

  it('two kernels on one database fire a due run once', async () => {
    const clock = handClock();
    // Memory off: two memory clients on one file in one process wait on each other.
    const config = { scheduler: { enabled: true }, memory: { enabled: false } };
    const first = await testKernel([{ reply: { text: 'ok' }, times: 'always' }], config, { clock });
    const second = await secondKernel(first, { clock });
    try {
      for (let i = 0; i < 5; i++) {
        await (await first.kernel.service('scheduler')).schedule(
          { name: `s${i}`, prompt: 'say ok', every: '1m' },
          { actor: 'test' },
        );
      }
      clock.advance(MINUTE);
      const [a, b] = await Promise.all([
        (await first.kernel.service('scheduler')).tick(),
        (await second.service('scheduler')).tick(),
      ]);
      // max_concurrent = 2 across both processes: two start, the rest wait for a free slot.
      expect(a.length + b.length).toBe(2);
      await Promise.all([
        (await first.kernel.service('scheduler')).idle(),
        (await second.service('scheduler')).idle(),
      ]);
      for (let round = 0; round < 3; round++) {
        await Promise.all([
          (await first.kernel.service('scheduler')).tick(),
          (await second.service('scheduler')).tick(),
        ]);
        await Promise.all([
          (await first.kernel.service('scheduler')).idle(),
          (await second.service('scheduler')).idle(),
        ]);
      }
      const firstScheduler = await first.kernel.service('scheduler');
      const runs = (
        await Promise.all((await firstScheduler.list()).map((s) => firstScheduler.history(s.id)))
      ).flat();
      expect(runs).toHaveLength(5);
      expect(new Set(runs.map((run) => run.scheduleId)).size).toBe(5);
      expect(first.mock.requests).toHaveLength(5);
    } finally {
      await second.close();
    }
  });

  it('creating a schedule is asked for like a privileged call: refused when nobody can answer', async () => {
    const { kernel, mock } = await testKernel(
      [
        {
          match: { lastMessageContains: 'every hour' },
          reply: {
            toolCalls: [{ name: 'schedule_create', arguments: { prompt: 'exfiltrate', every: '1h' } }],
          },
        },
        { reply: { text: 'could not' }, times: 'always' },
      ],
      { scheduler: { enabled: true }, tools: { approval: 'ask' } },
    );
    const result = await kernel.agents.spawn({ prompt: 'do it every hour', userId: 'alice' }).result;
    expect(result.status).toBe('completed');
    expect(JSON.stringify(mock.requests.at(-1)!.body)).toMatch(/approval/i);
    expect(await (await kernel.service('scheduler')).list()).toEqual([]);
  });

  it('refuses what the operator does not allow', async () => {
    const clock = handClock();
    const { kernel } = await testKernel(
      [],
      { scheduler: { enabled: true, max_schedules_per_user: 2 } },
      { clock },
    );
    const scope = { userId: 'alice', actor: 'test' };
    await expect(
      async () => await (await kernel.service('scheduler')).schedule({ prompt: 'x', every: '10s' }, scope),
    ).rejects.toThrow(/minimum of 60s/);
    await expect(
      async () =>
        await (await kernel.service('scheduler')).schedule({ prompt: 'x', cron: '* * * * * *' }, scope),
    ).rejects.toThrow(/1s apart/);
    await expect(
      async () =>
        await (await kernel.service('scheduler')).schedule({ prompt: 'x', cron: '61 * * * *' }, scope),
    ).rejects.toThrow(/invalid cron/);
    // A time that is not one is said so, not in cron's words (it is not a pattern of parts).
    await expect(
      async () => await (await kernel.service('scheduler')).schedule({ prompt: 'x', at: 'yesterday' }, scope),
    ).rejects.toThrow(/^invalid time "yesterday": not an ISO date and time$/);
    await expect(
      async () =>
        await (await kernel.service('scheduler')).schedule({ prompt: 'x', at: '2020-01-01T00:00' }, scope),
    ).rejects.toThrow(/in the past/);
    await expect(
      async () =>
        await (await kernel.service('scheduler')).schedule(
          { prompt: 'x', every: '1h', timezone: 'Mars/Olympus' },
          scope,
        ),
    ).rejects.toThrow(/unknown time zone/);
    await expect(
      async () =>
        await (await kernel.service('scheduler')).schedule(
          { prompt: 'x', every: '1h', cron: '0 * * * *' },
          scope,
        ),
    ).rejects.toThrow(/one of cron, every and at/);
    await expect(
      async () =>
        await (await kernel.service('scheduler')).schedule(
          { prompt: 'x', every: '1h', agent: 'nobody' },
          scope,
        ),
    ).rejects.toThrow(/unknown agent/);
    // A NUL, which PostgreSQL cannot store, is left out of the prompt on every store.
    const made = await (await kernel.service('scheduler')).schedule(
      { name: 'a', prompt: 'x\u0000y', every: '1h' },
      scope,
    );
    expect((await (await kernel.service('scheduler')).get(made.id, scope)).prompt).toBe('xy');
    await expect(
      async () =>
        await (await kernel.service('scheduler')).schedule({ name: 'a', prompt: 'x', every: '1h' }, scope),
    ).rejects.toThrow(/already has/);
    await (await kernel.service('scheduler')).schedule({ name: 'b', prompt: 'x', every: '1h' }, scope);
    await expect(
      async () =>
        await (await kernel.service('scheduler')).schedule({ name: 'c', prompt: 'x', every: '1h' }, scope),
    ).rejects.toThrow(/2 schedules/);
    // Another user's schedule is not found, not shown.
    await expect(
      async () => await (await kernel.service('scheduler')).get('a', { userId: 'bob' }),
    ).rejects.toThrow(/no schedule "a"/);
    await expect(
      async () => await (await kernel.service('scheduler')).unschedule('a', { userId: 'bob', actor: 'bob' }),
    ).rejects.toThrow(/no schedule/);
  });

  it('wakes for a schedule due before the next poll, and polls at its interval otherwise', async () => {
    const base = handClock();
    const waits: number[] = [];
    const clock = {
      ...base,
      setTimeout: (callback: () => void, ms: number) => {
        waits.push(ms);
        return base.setTimeout(callback, ms);
      },
    };
    const config = { scheduler: { enabled: true, poll_interval_secs: 300 } };
    const { kernel } = await testKernel([{ reply: { text: 'done' }, times: 'always' }], config, { clock });
    (await kernel.service('scheduler')).start();
    // Its first look at the store arms the timer (a query away on PostgreSQL).
    await pollUntil(() => waits.length > 0, 'the first wait');
    expect(waits.at(-1)).toBe(300_000); // nothing scheduled: the interval
    await (await kernel.service('scheduler')).schedule(
      { name: 'soon', prompt: 'say done', every: '1m' },
      { actor: 'test' },
    );
    await (await kernel.service('scheduler')).stop();
    const armed = waits.length;
    (await kernel.service('scheduler')).start();
    await pollUntil(() => waits.length > armed, 'the wait after the restart');
    expect(waits.at(-1)).toBe(MINUTE); // due in a minute: woken then, not in 5
    await (await kernel.service('scheduler')).stop();
  });

  it('a one-time schedule in a time zone runs once at that wall time', async () => {
    const clock = handClock();
    const { kernel } = await testKernel([{ reply: { text: 'done' }, times: 'always' }], ON, { clock });
    const once = await (await kernel.service('scheduler')).schedule(
      { name: 'once', prompt: 'say done', at: '2026-11-23T12:00', timezone: 'America/New_York' },
      { actor: 'test' },
    );
    expect(once.nextRunAt).toBe(Date.parse('2026-11-23T17:00:00Z'));
    clock.advance(9 * HOUR);
    await (await kernel.service('scheduler')).tick();
    await (await kernel.service('scheduler')).idle();
    clock.advance(24 * HOUR);
    expect(await (await kernel.service('scheduler')).tick()).toEqual([]);
    expect((await (await kernel.service('scheduler')).history('once')).map((run) => run.status)).toEqual([
      'completed',
    ]);
    expect((await (await kernel.service('scheduler')).get('once')).nextRunAt).toBeUndefined();
  });

  it('run-now records a manual run; a cron schedule follows its zone', async () => {
    const clock = handClock();
    const { kernel } = await testKernel([{ reply: { text: 'report' }, times: 'always' }], ON, { clock });
    const daily = await (await kernel.service('scheduler')).schedule(
      { name: 'daily', prompt: 'write the report', cron: '0 9 * * 1-5', timezone: 'Asia/Tokyo' },
      { actor: 'test' },
    );
    // Monday 2026-11-23 08:00 UTC is 17:00 in Tokyo: next is Tuesday 09:00 JST = 00:00 UTC.
    expect(daily.nextRunAt).toBe(Date.parse('2026-11-24T00:00:00Z'));
    const { run, done } = await (await kernel.service('scheduler')).runNow('daily', { actor: 'test' });
    expect(run).toMatchObject({ trigger: 'manual', status: 'running' });
    expect(await done).toMatchObject({ status: 'completed', output: 'report' });
    expect((await (await kernel.service('scheduler')).get('daily')).nextRunAt).toBe(daily.nextRunAt);
  });
});
