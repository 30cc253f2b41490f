/**
 * The ScheduleStore contract: every implementation runs these against a real backend. They pin
 * exact round trips, one name per user, user scoping, which schedules are due in which order,
 * and the run claims several processes rely on: a claim is exclusive (of two handles racing
 * for one due time exactly one wins, and the schedule moves on once), a lease is renewed only
 * by its owner and, once run out, ends as interrupted exactly once, and only the owner records
 * how its run ended; history keeps the newest finished runs and never drops a running one.
 */
import type { NewRun, RunEnd, ScheduleStore } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { currentEach, HOSTILE_TEXT, rejection, type StoreOpener, withSecondHandle } from './harness.js';
import { newRun as run, storedSchedule as schedule } from './schedule-rows.js';

/** A run asked for by hand: several may share a due time. */
const manual = (id: string, fields: Partial<NewRun> = {}) => run(id, { trigger: 'manual', ...fields });

const end = (status: RunEnd['status'], finishedAt: number, fields: Partial<RunEnd> = {}): RunEnd => ({
  status,
  finishedAt,
  agentId: null,
  sessionId: null,
  output: null,
  error: null,
  turns: null,
  inputTokens: null,
  outputTokens: null,
  costUsd: null,
  specOutcome: null,
  ...fields,
});

export function scheduleStoreContract(open: StoreOpener<ScheduleStore>): void {
  describe('ScheduleStore contract', () => {
    const current = currentEach(open);

    it('round-trips schedules exactly, one name per user, scoped to a user when asked', async () => {
      const { store } = current;
      const full = schedule('s1', {
        name: 'Ünïcode 🎉',
        agent: 'researcher',
        prompt: HOSTILE_TEXT.join('\n'),
        runToken: 'tok1',
        directive: '{"constraints":[],"acceptance_criteria":["file: out.md exists"]}',
        disabledReason: "it's paused",
        enabled: false,
        nextRunAt: null,
        consecutiveFailures: 2,
      });
      await store.insert(full);
      expect(await store.get('s1')).toEqual(full);
      expect(await store.get('s1', 'alice')).toEqual(full);
      expect(await store.get('s1', 'bob')).toBeUndefined();
      expect(await rejection(() => store.insert(schedule('s2', { name: 'Ünïcode 🎉' })))).toBeDefined();
      expect(await rejection(() => store.insert(schedule('s1', { name: 'other' })))).toBeDefined();
      await store.insert(schedule('s3', { name: 'Ünïcode 🎉', userId: 'bob', createdAt: 5 }));
      await store.insert(schedule('s4', { createdAt: 20 }));
      expect((await store.named('Ünïcode 🎉')).map((found) => found.id)).toEqual(['s3', 's1']);
      expect((await store.named('Ünïcode 🎉', 'bob')).map((found) => found.id)).toEqual(['s3']);
      expect((await store.list('alice')).map((found) => found.id)).toEqual(['s1', 's4']);
      expect((await store.list()).map((found) => found.id)).toEqual(['s1', 's4', 's3']);
      expect(await store.get('ghost')).toBeUndefined();
    });

    it('updates what may change and keeps who made it and when', async () => {
      const { store } = current;
      await store.insert(schedule('s'));
      const changed = schedule('s', {
        userId: 'mallory',
        createdBy: 'token:x',
        createdAt: 99,
        name: 'renamed',
        spec: '2h',
        enabled: false,
        disabledReason: 'paused by cli',
        runToken: 't2',
        directive: '{"constraints":["be brief"],"acceptance_criteria":[]}',
        updatedAt: 50,
      });
      await store.update(changed);
      expect(await store.get('s')).toEqual({ ...changed, userId: 'alice', createdBy: 'cli', createdAt: 10 });
    });

    it('answers which schedules are due, soonest first, and when the next one is', async () => {
      const { store } = current;
      expect(await store.nextDueAt()).toBeUndefined();
      await store.insert(schedule('late', { nextRunAt: 900 }));
      await store.insert(schedule('now', { nextRunAt: 1_000 }));
      await store.insert(schedule('later', { nextRunAt: 5_000 }));
      await store.insert(schedule('off', { nextRunAt: 100, enabled: false }));
      await store.insert(schedule('never', { nextRunAt: null }));
      expect((await store.due(1_000, 10)).map((found) => found.id)).toEqual(['late', 'now']);
      expect((await store.due(1_000, 1)).map((found) => found.id)).toEqual(['late']);
      expect(await store.nextDueAt()).toBe(900);
      expect((await store.enabledFor('alice', 'none')).map((found) => found.id).sort()).toEqual([
        'late',
        'later',
        'never',
        'now',
      ]);
      await store.insert(schedule('bobs', { userId: 'bob', runToken: 'tok' }));
      expect((await store.enabledFor(null, 'tok')).map((found) => found.id)).toEqual(['bobs']);
    });

    it('gives a due time to exactly one of two handles racing to claim it', async () => {
      const { store } = current;
      await store.insert(schedule('s', { nextRunAt: 1_000 }));
      await withSecondHandle(current.opened, async (second) => {
        const claims = await Promise.all([
          store.claim(run('r1', { leaseOwner: 'p1' }), 4_600),
          second.claim(run('r2', { leaseOwner: 'p2' }), 4_600),
          store.claim(run('r3', { leaseOwner: 'p1' }), 4_600),
          second.claim(run('r4', { leaseOwner: 'p2' }), 4_600),
        ]);
        const won = claims.filter((claim) => claim !== undefined);
        expect(won).toHaveLength(1);
        expect(won[0]).toMatchObject({ scheduleId: 's', dueAt: 1_000, status: 'running', finishedAt: null });
        expect((await second.get('s'))?.nextRunAt).toBe(4_600);
        expect((await second.running()).map((found) => found.id)).toEqual([won[0]!.id]);
        expect(await second.claim(run('r5'), 8_200)).toBeUndefined();
        expect((await store.get('s'))?.nextRunAt).toBe(4_600);
      });
    });

    it('starts manual runs without claiming a due time', async () => {
      const { store } = current;
      await store.insert(schedule('s'));
      const first = await store.startManual(manual('m1'));
      await store.startManual(manual('m2'));
      expect(first).toMatchObject({ id: 'm1', trigger: 'manual', status: 'running', leaseUntil: 2_000 });
      expect((await store.get('s'))?.nextRunAt).toBe(1_000);
      expect((await store.running()).map((found) => found.id).sort()).toEqual(['m1', 'm2']);
    });

    it("renews only the owner's leases, interrupts once, and lets only the owner record the end", async () => {
      const { store } = current;
      await store.insert(schedule('s'));
      await store.startManual(manual('mine', { leaseOwner: 'p1' }));
      await store.startManual(manual('theirs', { leaseOwner: 'p2' }));
      expect(await store.renew('p1', 9_000)).toBe(1);
      expect((await store.getRun('mine'))?.leaseUntil).toBe(9_000);
      expect((await store.getRun('theirs'))?.leaseUntil).toBe(2_000);
      expect(await store.interrupt('theirs', 2_500, 'process gone')).toBe(true);
      expect(await store.interrupt('theirs', 2_600, 'again')).toBe(false);
      expect(await store.getRun('theirs')).toMatchObject({
        status: 'interrupted',
        finishedAt: 2_500,
        error: 'process gone',
      });
      expect(await store.renew('p2', 9_000)).toBe(0);
      expect(await store.finish('theirs', 'p1', end('completed', 3_000))).toBe(false);
      expect(await store.finish('theirs', 'p2', end('failed', 3_000, { error: 'late but known' }))).toBe(
        true,
      );
      expect((await store.getRun('theirs'))?.status).toBe('failed');
      const outcome = end('completed', 3_100, {
        agentId: 'ag',
        sessionId: 'se',
        output: 'ü'.repeat(5000),
        turns: 3,
        inputTokens: 10,
        outputTokens: 20,
        costUsd: 0.0125,
        specOutcome: '{"passed":false,"attempts":2,"results":[]}',
      });
      expect(await store.finish('mine', 'p1', outcome)).toBe(true);
      const { status, finishedAt, ...recorded } = outcome;
      expect(await store.getRun('mine')).toMatchObject({ ...recorded, status, finishedAt, leaseOwner: 'p1' });
      expect(await store.running()).toEqual([]);
      expect(await store.finish('ghost', 'p1', outcome)).toBe(false);
    });

    it('keeps the newest finished runs, never drops a running one, and deletes with the schedule', async () => {
      const { store } = current;
      await store.insert(schedule('s'));
      for (let index = 0; index < 5; index += 1) {
        await store.startManual(manual(`r${index}`, { startedAt: 100 + index }));
        await store.finish(`r${index}`, 'host:1:a', end('completed', 200 + index));
      }
      await store.startManual(manual('live', { startedAt: 50 }));
      expect((await store.history('s', 3)).map((found) => found.id)).toEqual(['r4', 'r3', 'r2']);
      await store.trimHistory('s', 2);
      expect((await store.history('s', 10)).map((found) => found.id)).toEqual(['r4', 'r3', 'live']);
      await store.delete('s');
      expect(await store.get('s')).toBeUndefined();
      expect((await store.running()).map((found) => found.id)).toEqual(['live']);
      expect(await store.getRun('r4')).toBeUndefined();
    });
  });
}
