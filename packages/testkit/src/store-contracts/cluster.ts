/**
 * The ClusterStore contract: every implementation runs these against a real backend, with two
 * handles on one database standing for two gateway processes. They pin beats and the processes
 * listed; claims refused for a busy session (naming the holder) or a user at the limit,
 * stateless runs counted (every door's run without a session: A2A, MCP, scheduled); runs held by
 * a token acting for no user counted for that token, apart from any user; a runId claimed twice and a claim by an unregistered process
 * rejected without a change; release, leave; reaping a stale process's runs (and freeing their
 * sessions) once, also between two reapers at once and against claims racing it; and the
 * cross-process rules under concurrent claims from both handles.
 *
 * Staleness is the database's clock, so the reaping cases wait for real: a process beats, the
 * case waits PAUSE_MS, the live ones beat, and `reap(STALE_MS)` follows at once. No time is
 * asserted; the margin (PAUSE_MS - STALE_MS before, STALE_MS after) only has to exceed a round trip.
 */
import type { ClusterRun, ClusterStore, NewClusterRun, ProcessInfo, RunClaim } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { currentEach, rejection, type StoreOpener, withSecondHandle } from './harness.js';

const STALE_MS = 1000;
const PAUSE_MS = 1600;
const LONG_MS = 3_600_000;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const proc = (id: string, fields: Partial<ProcessInfo> = {}): ProcessInfo => ({
  id,
  host: `host-of-${id}`,
  pid: 1000,
  ...fields,
});

const run = (runId: string, processId: string, fields: Partial<NewClusterRun> = {}): NewClusterRun =>
  ({
    runId,
    processId,
    ...('tokenId' in fields ? {} : { userId: 'alice' }),
    ...fields,
  }) as NewClusterRun;

const ok: RunClaim = { ok: true };
const ids = (runs: readonly ClusterRun[]) => runs.map((found) => found.runId);
const sorted = (values: readonly string[]) => [...values].sort();

/** `count` claims at once, alternating between process p1 on `first` and p2 on `second`. */
async function claimFromBoth(
  first: ClusterStore,
  second: ClusterStore,
  count: number,
  make: (index: number, processId: string) => NewClusterRun,
  perUser: number,
): Promise<RunClaim[]> {
  await first.beat(proc('p1'));
  await second.beat(proc('p2'));
  return Promise.all(
    Array.from({ length: count }, (_, index) => {
      const [store, processId] = index % 2 ? [second, 'p2'] : [first, 'p1'];
      return store.claim(make(index, processId), { perUser });
    }),
  );
}

export function clusterStoreContract(open: StoreOpener<ClusterStore>): void {
  describe('ClusterStore contract', () => {
    const current = currentEach(open);

    it('registers a process on its first beat, refreshes it after, and lists it', async () => {
      expect(await current.store.processes(LONG_MS)).toEqual([]);
      expect(await current.store.beat(proc('p1', { url: 'http://10.0.0.1:7420' }))).toBe(true);
      const [first] = await current.store.processes(LONG_MS);
      expect(first).toEqual({
        id: 'p1',
        // No kind given: a gateway, as every member was before the others joined.
        kind: 'gateway',
        host: 'host-of-p1',
        pid: 1000,
        url: 'http://10.0.0.1:7420',
        startedAt: expect.stringMatching(ISO),
        beatAt: expect.stringMatching(ISO),
      });
      expect(first?.beatAt).toBe(first?.startedAt);
      expect(await current.store.beat(proc('p1', { url: 'http://10.0.0.1:7421' }))).toBe(false);
      expect(await current.store.beat(proc('p2', { pid: 7 }))).toBe(true);
      const listed = await current.store.processes(LONG_MS);
      expect(listed.map((found) => found.id)).toEqual(['p1', 'p2']);
      expect(listed[0]).toMatchObject({ startedAt: first?.startedAt, url: 'http://10.0.0.1:7421' });
      expect(listed[0]!.beatAt >= first!.beatAt).toBe(true);
      expect(listed[1]).not.toHaveProperty('url');
      expect(listed[1]).toMatchObject({ pid: 7, host: 'host-of-p2' });
    });

    it('keeps what each process serves: its kind', async () => {
      await current.store.beat(proc('p1', { kind: 'scheduler' }));
      await current.store.beat(proc('p2', { kind: 'mcp' }));
      const listed = await current.store.processes(LONG_MS);
      expect(listed.map((found) => [found.id, found.kind])).toEqual([
        ['p1', 'scheduler'],
        ['p2', 'mcp'],
      ]);
    });

    it('claims a run and lists it, by user and by session', async () => {
      await current.store.beat(proc('p1'));
      expect(
        await current.store.claim(run('r1', 'p1', { sessionId: 's1', turnId: 't1' }), { perUser: 5 }),
      ).toEqual(ok);
      expect(await current.store.claim(run('r2', 'p1', { userId: 'bob' }), { perUser: 5 })).toEqual(ok);
      const all = await current.store.runs();
      expect(all).toEqual([
        {
          runId: 'r1',
          processId: 'p1',
          userId: 'alice',
          tokenId: null,
          sessionId: 's1',
          turnId: 't1',
          startedAt: expect.stringMatching(ISO),
        },
        {
          runId: 'r2',
          processId: 'p1',
          userId: 'bob',
          tokenId: null,
          sessionId: null,
          turnId: null,
          startedAt: expect.stringMatching(ISO),
        },
      ]);
      expect(ids(await current.store.runs({ userId: 'bob' }))).toEqual(['r2']);
      expect(ids(await current.store.runs({ sessionId: 's1' }))).toEqual(['r1']);
      expect(ids(await current.store.runs({ userId: 'bob', sessionId: 's1' }))).toEqual([]);
      expect(await current.store.runs({ userId: "' OR 1=1 --" })).toEqual([]);
    });

    it("refuses a second run on a session, naming the holder, whoever's process asks", async () => {
      await current.store.beat(proc('p1'));
      await current.store.claim(run('r1', 'p1', { sessionId: 's1', turnId: 't1' }), { perUser: 5 });
      const holder = (await current.store.runs({ sessionId: 's1' }))[0];
      await withSecondHandle(current.opened, async (second) => {
        await second.beat(proc('p2'));
        for (const [store, claim] of [
          [current.store, run('r2', 'p1', { sessionId: 's1' })],
          [second, run('r3', 'p2', { sessionId: 's1', userId: 'bob' })],
        ] as const) {
          expect(await store.claim(claim, { perUser: 5 })).toEqual({
            ok: false,
            reason: 'session_busy',
            holder,
          });
        }
      });
      expect(ids(await current.store.runs())).toEqual(['r1']);
    });

    it('frees the session when the run is released, once', async () => {
      await current.store.beat(proc('p1'));
      await current.store.claim(run('r1', 'p1', { sessionId: 's1' }), { perUser: 1 });
      expect(await current.store.release('r1')).toBe(true);
      expect(await current.store.release('r1')).toBe(false);
      expect(await current.store.release('ghost')).toBe(false);
      expect(await current.store.claim(run('r2', 'p1', { sessionId: 's1' }), { perUser: 1 })).toEqual(ok);
      expect(ids(await current.store.runs())).toEqual(['r2']);
    });

    it("holds each user to the limit, and one user's runs do not count for another", async () => {
      await current.store.beat(proc('p1'));
      const limits = { perUser: 2 };
      expect(await current.store.claim(run('a1', 'p1', { sessionId: 's1' }), limits)).toEqual(ok);
      expect(await current.store.claim(run('a2', 'p1', { sessionId: 's2' }), limits)).toEqual(ok);
      expect(await current.store.claim(run('a3', 'p1', { sessionId: 's3' }), limits)).toEqual({
        ok: false,
        reason: 'user_limit',
        running: 2,
      });
      expect(await current.store.claim(run('b1', 'p1', { sessionId: 's4', userId: 'bob' }), limits)).toEqual(
        ok,
      );
      expect(await current.store.claim(run('b2', 'p1', { userId: 'bob' }), limits)).toEqual(ok);
      expect(await current.store.release('a1')).toBe(true);
      expect(await current.store.claim(run('a3', 'p1', { sessionId: 's3' }), limits)).toEqual(ok);
      expect(sorted(ids(await current.store.runs()))).toEqual(['a2', 'a3', 'b1', 'b2']);
    });

    it('counts stateless runs (no session) for their user, and never as a session conflict', async () => {
      await current.store.beat(proc('p1'));
      const limits = { perUser: 2 };
      expect(await current.store.claim(run('r1', 'p1'), limits)).toEqual(ok);
      expect(await current.store.claim(run('r2', 'p1'), limits)).toEqual(ok);
      expect(await current.store.claim(run('r3', 'p1', { sessionId: 's1' }), limits)).toEqual({
        ok: false,
        reason: 'user_limit',
        running: 2,
      });
      expect(await current.store.claim(run('r4', 'p1'), limits)).toEqual({
        ok: false,
        reason: 'user_limit',
        running: 2,
      });
      expect(await current.store.runs({ sessionId: 's1' })).toEqual([]);
    });

    it('counts a token’s runs for that token, apart from any user (a user id the same as the token’s included)', async () => {
      await current.store.beat(proc('p1'));
      const limits = { perUser: 2 };
      expect(await current.store.claim(run('t1', 'p1', { tokenId: 'owner' }), limits)).toEqual(ok);
      expect(await current.store.claim(run('t2', 'p1', { tokenId: 'owner' }), limits)).toEqual(ok);
      expect(await current.store.claim(run('t3', 'p1', { tokenId: 'owner' }), limits)).toEqual({
        ok: false,
        reason: 'user_limit',
        running: 2,
      });
      // A user named like the token, and another token, have slots of their own.
      expect(await current.store.claim(run('u1', 'p1', { userId: 'owner' }), limits)).toEqual(ok);
      expect(
        await current.store.claim(run('u2', 'p1', { userId: 'owner', sessionId: 's1' }), limits),
      ).toEqual(ok);
      expect(await current.store.claim(run('k1', 'p1', { tokenId: 'tok_2' }), limits)).toEqual(ok);
      expect(await current.store.runs({ tokenId: 'owner' })).toEqual([
        {
          runId: 't1',
          processId: 'p1',
          userId: null,
          tokenId: 'owner',
          sessionId: null,
          turnId: null,
          startedAt: expect.stringMatching(ISO),
        },
        expect.objectContaining({ runId: 't2', tokenId: 'owner', userId: null }),
      ]);
      expect(ids(await current.store.runs({ userId: 'owner' }))).toEqual(['u1', 'u2']);
      expect(await current.store.release('t1')).toBe(true);
      expect(await current.store.claim(run('t3', 'p1', { tokenId: 'owner' }), limits)).toEqual(ok);
    });

    it('rejects a runId claimed twice and keeps the first', async () => {
      await current.store.beat(proc('p1'));
      await current.store.claim(run('r1', 'p1', { sessionId: 's1' }), { perUser: 5 });
      const before = await current.store.runs();
      for (const again of [
        run('r1', 'p1'),
        run('r1', 'p1', { sessionId: 's2', userId: 'bob' }),
        run('r1', 'p1', { sessionId: 's2' }),
      ]) {
        expect(await rejection(() => current.store.claim(again, { perUser: 5 }))).toBeDefined();
      }
      expect(await current.store.runs()).toEqual(before);
      // The refused claims left nothing behind: s2 is free.
      expect(await current.store.claim(run('r2', 'p1', { sessionId: 's2' }), { perUser: 5 })).toEqual(ok);
    });

    it('rejects a claim by a process that is not registered, leaving no run', async () => {
      expect(await rejection(() => current.store.claim(run('r1', 'ghost'), { perUser: 5 }))).toBeDefined();
      await current.store.beat(proc('p1'));
      expect(
        await rejection(() => current.store.claim(run('r2', 'ghost', { sessionId: 's1' }), { perUser: 5 })),
      ).toBeDefined();
      expect(await current.store.runs()).toEqual([]);
      expect(await current.store.claim(run('r2', 'p1', { sessionId: 's1' }), { perUser: 5 })).toEqual(ok);
    });

    it('refuses bad input without a change', async () => {
      await current.store.beat(proc('p1'));
      for (const bad of [
        () => current.store.claim(run('r1', 'p1'), { perUser: 0 }),
        () => current.store.claim(run('r1', 'p1'), { perUser: 1.5 }),
        () => current.store.claim(run('', 'p1'), { perUser: 5 }),
        () => current.store.claim(run('r1', 'p1', { userId: '' }), { perUser: 5 }),
        () => current.store.claim(run('r1', 'p1', { tokenId: '' }), { perUser: 5 }),
        // Exactly one holder: both, or neither.
        () =>
          current.store.claim({ runId: 'r1', processId: 'p1', userId: 'alice', tokenId: 'owner' } as never, {
            perUser: 5,
          }),
        () => current.store.claim({ runId: 'r1', processId: 'p1' } as never, { perUser: 5 }),
        () => current.store.reap(-1),
        () => current.store.reap(Number.NaN),
        () => current.store.processes(-1),
        () => current.store.beat(proc('')),
        () => current.store.beat(proc('p2', { pid: -1 })),
        () => current.store.beat(proc('p2', { kind: 'printer' } as never)),
      ]) {
        expect(await rejection(bad)).toBeDefined();
      }
      expect(await current.store.runs()).toEqual([]);
      expect((await current.store.processes(LONG_MS)).map((found) => found.id)).toEqual(['p1']);
    });

    it('removes a process that leaves, with its runs, and frees their sessions', async () => {
      await current.store.beat(proc('p1'));
      await current.store.beat(proc('p2'));
      await current.store.claim(run('r1', 'p1', { sessionId: 's1' }), { perUser: 5 });
      await current.store.claim(run('r2', 'p1'), { perUser: 5 });
      await current.store.claim(run('r3', 'p2', { sessionId: 's2' }), { perUser: 5 });
      await current.store.leave('p1');
      await current.store.leave('ghost');
      expect(ids(await current.store.runs())).toEqual(['r3']);
      expect((await current.store.processes(LONG_MS)).map((found) => found.id)).toEqual(['p2']);
      expect(await current.store.release('r1')).toBe(false);
      expect(await rejection(() => current.store.claim(run('r4', 'p1'), { perUser: 5 }))).toBeDefined();
      expect(await current.store.claim(run('r4', 'p2', { sessionId: 's1' }), { perUser: 5 })).toEqual(ok);
    });

    it('reaps a stale process: returns its runs, removes them with it, frees their sessions', async () => {
      await current.store.beat(proc('dead'));
      await current.store.beat(proc('live'));
      await current.store.claim(run('d1', 'dead', { sessionId: 's1', turnId: 't1' }), { perUser: 5 });
      await current.store.claim(run('d2', 'dead'), { perUser: 5 });
      await current.store.claim(run('d3', 'dead', { tokenId: 'owner' }), { perUser: 5 });
      await current.store.claim(run('l1', 'live', { sessionId: 's2' }), { perUser: 5 });
      const held = await current.store.runs();
      await pause(PAUSE_MS);
      expect(await current.store.beat(proc('live'))).toBe(false);
      expect((await current.store.processes(STALE_MS)).map((found) => found.id)).toEqual(['live']);
      expect((await current.store.processes(LONG_MS)).map((found) => found.id)).toEqual(['dead', 'live']);
      const reaped = await current.store.reap(STALE_MS);
      expect(reaped).toEqual(held.filter((found) => found.processId === 'dead'));
      expect(ids(reaped)).toEqual(['d1', 'd2', 'd3']);
      expect(await current.store.reap(STALE_MS)).toEqual([]);
      expect(ids(await current.store.runs())).toEqual(['l1']);
      expect((await current.store.processes(LONG_MS)).map((found) => found.id)).toEqual(['live']);
      expect(await current.store.release('d1')).toBe(false);
      // Its session is free; the reaped process cannot claim until it beats again, and that
      // beat tells it it was registered anew (its runs are gone).
      expect(await current.store.claim(run('l2', 'live', { sessionId: 's1' }), { perUser: 5 })).toEqual(ok);
      expect(await rejection(() => current.store.claim(run('d4', 'dead'), { perUser: 5 }))).toBeDefined();
      expect(await current.store.beat(proc('dead'))).toBe(true);
      expect(await current.store.claim(run('d4', 'dead'), { perUser: 5 })).toEqual(ok);
      // The reaped token run's slot is free again.
      expect(await current.store.claim(run('d5', 'dead', { tokenId: 'owner' }), { perUser: 1 })).toEqual(ok);
    });

    it('gives two reapers at once disjoint sets that together are every stale run', async () => {
      const dead = Array.from({ length: 8 }, (_, index) => `dead${index}`);
      const claimed: string[] = [];
      for (const [index, id] of dead.entries()) {
        await current.store.beat(proc(id));
        for (const [n, sessionId] of [`s${index}`, undefined].entries()) {
          const runId = `${id}-r${n}`;
          const claim = run(runId, id, { userId: `u${index}`, ...(sessionId ? { sessionId } : {}) });
          expect(await current.store.claim(claim, { perUser: 5 })).toEqual(ok);
          claimed.push(runId);
        }
      }
      await pause(PAUSE_MS);
      await withSecondHandle(current.opened, async (second) => {
        await current.store.beat(proc('live1'));
        await second.beat(proc('live2'));
        const [a, b] = await Promise.all([current.store.reap(STALE_MS), second.reap(STALE_MS)]);
        const both = [...ids(a), ...ids(b)];
        expect(new Set(both).size).toBe(both.length);
        expect(sorted(both)).toEqual(sorted(claimed));
        expect(await second.runs()).toEqual([]);
        expect(sorted((await second.processes(LONG_MS)).map((found) => found.id))).toEqual([
          'live1',
          'live2',
        ]);
      });
    });

    it('leaves no run behind when claims race the reaping of their process', async () => {
      await current.store.beat(proc('dead'));
      await pause(PAUSE_MS);
      await withSecondHandle(current.opened, async (second) => {
        await second.beat(proc('live'));
        const claims = Array.from({ length: 12 }, (_, index) =>
          current.store.claim(run(`d${index}`, 'dead', { userId: `u${index % 3}` }), { perUser: 100 }).then(
            (claim) => (claim.ok ? `d${index}` : 'refused'),
            () => 'rejected',
          ),
        );
        const during = await second.reap(STALE_MS);
        const outcomes = await Promise.all(claims);
        // A reaper may pass over a process while claims of it are in flight: the next takes it.
        const after = await second.reap(STALE_MS);
        const granted = outcomes.filter((outcome) => outcome.startsWith('d'));
        expect(outcomes).not.toContain('refused');
        // Every claim that got through was reaped exactly once; every other was rejected.
        const reaped = [...ids(during), ...ids(after)];
        expect(sorted(reaped)).toEqual(sorted(granted));
        expect(await current.store.runs()).toEqual([]);
        expect((await current.store.processes(LONG_MS)).map((found) => found.id)).toEqual(['live']);
      });
    });

    it('grants exactly perUser of 20 concurrent claims for one user from two processes', async () => {
      await withSecondHandle(current.opened, async (second) => {
        // Some stateless, the others each on a session of its own: only the limit refuses.
        const claims = await claimFromBoth(
          current.store,
          second,
          20,
          (index, processId) => run(`r${index}`, processId, index % 3 ? { sessionId: `s${index}` } : {}),
          3,
        );
        expect(claims.filter((claim) => claim.ok)).toHaveLength(3);
        for (const claim of claims.filter((found) => !found.ok)) {
          expect(claim).toEqual({ ok: false, reason: 'user_limit', running: 3 });
        }
        expect(await second.runs({ userId: 'alice' })).toHaveLength(3);
      });
    });

    it('grants exactly perUser of 12 concurrent claims for one token from two processes', async () => {
      await withSecondHandle(current.opened, async (second) => {
        const claims = await claimFromBoth(
          current.store,
          second,
          12,
          (index, processId) => run(`r${index}`, processId, { tokenId: 'owner' }),
          2,
        );
        expect(claims.filter((claim) => claim.ok)).toHaveLength(2);
        for (const claim of claims.filter((found) => !found.ok)) {
          expect(claim).toEqual({ ok: false, reason: 'user_limit', running: 2 });
        }
        expect(await second.runs({ tokenId: 'owner' })).toHaveLength(2);
      });
    });

    it('grants exactly one of 10 concurrent claims on one session, the rest naming it', async () => {
      await withSecondHandle(current.opened, async (second) => {
        // Ten users, so the per-user lock does not queue them: the session alone decides.
        const claims = await claimFromBoth(
          current.store,
          second,
          10,
          (index, processId) => run(`r${index}`, processId, { userId: `u${index}`, sessionId: 's1' }),
          3,
        );
        const granted = claims.flatMap((claim, index) => (claim.ok ? [index] : []));
        expect(granted).toHaveLength(1);
        const [holder] = await current.store.runs({ sessionId: 's1' });
        expect(holder?.runId).toBe(`r${granted[0]}`);
        for (const claim of claims.filter((found) => !found.ok)) {
          expect(claim).toEqual({ ok: false, reason: 'session_busy', holder });
        }
      });
    });
  });
}
