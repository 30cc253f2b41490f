/**
 * The kernel's per-user limit as the deployment's (issue 33 item 3): two Admissions joined to one
 * PostgreSQL schema through two pools stand for two processes. A user's slot taken on one is
 * refused (tryAcquire: A2A, MCP) or waited for (acquire: turns, scheduled runs) on the other,
 * and a waiter is woken by the release; a session turn's slot holds its session across both;
 * a token acting for no user has slots of its own; leaving drops the claims and the waiters; a
 * release the store did not take (its connection cut, through a proxy) is taken once it is back;
 * a process cut off from the deployment stops every run holding a claim, whatever its door.
 */
import { Admission } from '@oxydra/kernel';
import { openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import { pollUntil } from '@oxydra/testkit/helpers';
import { SessionBusyError } from '@oxydra/types';
import { afterEach, expect, it } from 'vitest';
import { describePostgres, dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';
import { StoreProxy } from './store-proxy.js';

const opened: PostgresStores[] = [];
const schemas: string[] = [];
const proxies: StoreProxy[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((stores) => stores.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(schemas.splice(0).map(dropSchema));
});

const alice = { userId: 'alice' };
const never = () => new AbortController().signal;

/**
 * Two processes (their own pools, registered) on one fresh schema, each with an Admission of
 * `limit`; the first's pool through `proxy` when given.
 */
async function twoProcesses(limit: number, proxy?: StoreProxy) {
  const schema = freshSchema();
  schemas.push(schema);
  const processes = [];
  for (const id of ['p1', 'p2']) {
    const url = id === 'p1' && proxy ? proxy.url : POSTGRES_URL;
    const stores = await openPostgresStores({ url, schema });
    opened.push(stores);
    await stores.cluster.beat({ id, host: 'test', pid: 1 });
    processes.push({
      stores,
      admission: new Admission(limit),
      member: { store: stores.cluster, processId: id },
    });
  }
  const [one, two] = processes as [(typeof processes)[0], (typeof processes)[0]];
  // The bus between them: a release announced by one frees the other's waiters.
  const join = (self: typeof one, other: typeof one) =>
    self.admission.join({ ...self.member, announce: (userId) => other.admission.freed(userId) });
  await join(one, two);
  await join(two, one);
  return { one, two, cluster: one.stores.cluster };
}

describePostgres('the kernel’s Admission across processes on one PostgreSQL store', () => {
  it('a slot of the user held on one process is refused on the other, and waited for until it is released', async () => {
    const { one, two, cluster } = await twoProcesses(1);
    const held = await one.admission.acquire(alice, never());
    expect(await cluster.runs({ userId: 'alice' })).toHaveLength(1);

    const refused = await two.admission.tryAcquire(alice);
    expect(refused).toEqual({
      refusal: expect.stringContaining("1 agent runs going across the deployment's processes"),
    });
    // The refusal gave this process's slot back.
    expect(two.admission.running(alice)).toBe(0);
    // Another user and a token named like alice are not held up.
    const bob = await two.admission.tryAcquire({ userId: 'bob' });
    const token = await two.admission.tryAcquire({ tokenId: 'alice' });
    if (!('release' in bob) || !('release' in token)) throw new Error('bob and the token have slots');

    let granted = false;
    const waiting = two.admission.acquire(alice, never()).then((release) => {
      granted = true;
      return release;
    });
    // It has this process's slot and waits for the deployment's: not granted while alice's
    // only slot is held on the other process (without the deployment's claim it would be).
    await pollUntil(() => two.admission.running(alice) === 1, 'the waiter to take its slot here');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(granted).toBe(false);
    await held();
    const release = await waiting;
    expect((await cluster.runs({ userId: 'alice' })).map((run) => run.processId)).toEqual(['p2']);
    await Promise.all([release(), bob.release(), token.release()]);
    expect(await cluster.runs()).toEqual([]);
    expect(two.admission.running(alice)).toBe(0);
  });

  it('a session turn’s slot holds its session on every process; other runs only count', async () => {
    const { one, two, cluster } = await twoProcesses(5);
    const turn = await one.admission.acquire(alice, never(), { sessionId: 's1', turnId: 't1' });
    const refusal = await two.admission
      .acquire({ userId: 'bob' }, never(), { sessionId: 's1', turnId: 't2' })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SessionBusyError);
    expect(refusal).toMatchObject({ elsewhere: true, holder: { turnId: 't1', processId: 'p1' } });
    // Refused: bob holds no slot anywhere.
    expect(two.admission.running({ userId: 'bob' })).toBe(0);
    expect(await cluster.runs({ userId: 'bob' })).toEqual([]);
    // A run without a session (A2A, MCP, scheduled) of the same user is only counted.
    const task = await two.admission.tryAcquire(alice);
    if (!('release' in task)) throw new Error(task.refusal);
    expect(await cluster.runs({ userId: 'alice' })).toHaveLength(2);
    await turn();
    const next = await two.admission.acquire(alice, never(), { sessionId: 's1', turnId: 't3' });
    await Promise.all([next(), task.release()]);
    expect(await cluster.runs()).toEqual([]);
  });

  it('a waiter stops when its signal aborts, and when the process leaves; runs going at the leave end quietly', async () => {
    const { one, two, cluster } = await twoProcesses(1);
    const warnings: string[] = [];
    await one.admission.join({ ...one.member, warn: (message) => warnings.push(message) });
    const held = await one.admission.acquire(alice, never());
    const controller = new AbortController();
    const aborted = two.admission.acquire(alice, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    expect(two.admission.running(alice)).toBe(0);

    const stopping = two.admission.acquire(alice, never());
    two.admission.leave();
    await expect(stopping).rejects.toThrow('left the deployment');
    // A clean stop (GatewayCluster.stop): the Admission leaves, then the store drops the claims;
    // a run still going then ends without asking the store (nor warning that its claim is gone).
    one.admission.leave();
    await cluster.leave('p1');
    await held();
    expect(warnings).toEqual([]);
    expect(await cluster.runs()).toEqual([]);
    // Alone again: the slots are this process's, and the store is not asked.
    const local = await two.admission.tryAcquire(alice);
    expect('release' in local).toBe(true);
    expect(await cluster.runs()).toEqual([]);
  });

  it("ends a session turn's claim in the caller's transaction, and alone when that transaction fails", async () => {
    const { one, two, cluster } = await twoProcesses(1);
    const sessions = one.stores.sessions;
    await sessions.create({ id: 's' });
    const held = await one.admission.acquire(alice, never(), { sessionId: 's', turnId: 't1' });
    const ended: string[] = [];
    await held(async (runId) => {
      ended.push(runId);
      const result = await sessions.endTurn('s', {
        messages: [{ role: 'assistant', content: 'done' }],
        releaseRun: runId,
      });
      return result.released === true;
    });
    expect(ended).toHaveLength(1);
    expect(await cluster.runs()).toEqual([]);
    expect(await sessions.countMessages('s')).toBe(1);
    // The slot is free on both processes: the other takes the session's next turn.
    const next = await two.admission.acquire(alice, never(), { sessionId: 's', turnId: 't2' });
    // An end that fails leaves no claim behind: it is released on its own.
    await next(async () => {
      throw new Error('the database failed');
    });
    expect(await cluster.runs()).toEqual([]);
    expect(two.admission.running(alice)).toBe(0);
  });

  it('a release the store did not take is taken once the store is back, without holding up the run’s end', async () => {
    const proxy = await StoreProxy.open();
    proxies.push(proxy);
    const { one, two } = await twoProcesses(1, proxy);
    // Read through the process that keeps the store.
    const cluster = two.stores.cluster;
    const warnings: string[] = [];
    await one.admission.join({
      ...one.member,
      announce: (userId) => two.admission.freed(userId),
      warn: (message) => warnings.push(message),
    });
    const held = await one.admission.acquire(alice, never(), { sessionId: 's', turnId: 't1' });
    expect(one.admission.claims).toEqual({ held: 1, pending: 0 });
    // The first process loses the store as its turn ends: the release resolves all the same
    // (the turn's answer does not wait for the store), and the claim is still there.
    proxy.cut();
    await held();
    expect(warnings).toEqual([expect.stringContaining('did not take the release of a run claim')]);
    expect(one.admission.claims).toEqual({ held: 0, pending: 1 });
    expect(await cluster.runs()).toMatchObject([{ processId: 'p1', sessionId: 's' }]);
    await expect(
      two.admission.acquire({ userId: 'bob' }, never(), { sessionId: 's', turnId: 't2' }),
    ).rejects.toBeInstanceOf(SessionBusyError);
    // Alice's next run elsewhere waits for her one slot, held by the claim left behind.
    const waiting = two.admission.acquire(alice, never());
    // The store is back: the release is tried again and taken; the slot and the session are free.
    proxy.restore();
    const next = await waiting;
    expect(one.admission.claims).toEqual({ held: 0, pending: 0 });
    const turn = await two.admission.acquire({ userId: 'bob' }, never(), { sessionId: 's', turnId: 't3' });
    expect(await cluster.runs()).toMatchObject([
      { processId: 'p2', userId: 'alice' },
      { processId: 'p2', turnId: 't3' },
    ]);
    await Promise.all([next(), turn()]);
    expect(await cluster.runs()).toEqual([]);
  });

  it('a process cut off stops every run holding a claim in it, through each release, and refuses its waiters', async () => {
    const { one, two, cluster } = await twoProcesses(2);
    let member = true;
    await one.admission.join({
      ...one.member,
      assertMember: () => {
        if (!member) throw new Error('this process lost its place in the deployment');
      },
    });
    // A session turn, an A2A task (tryAcquire) and a scheduled run (no place): every door's claim.
    const turn = await one.admission.acquire(alice, never(), { sessionId: 's', turnId: 't1' });
    const task = await one.admission.tryAcquire({ tokenId: 'owner' });
    if (!('release' in task)) throw new Error(task.refusal);
    const scheduled = await one.admission.acquire(alice, never());
    const stopped: string[] = [];
    for (const [name, release] of [
      ['turn', turn],
      ['task', task.release],
      ['scheduled', scheduled],
    ] as const) {
      Admission.stopOnCutOff(release, (why) => stopped.push(`${name}: ${why.message}`));
    }
    // Alice is at her limit: her next run waits for a slot.
    const waiting = one.admission.acquire(alice, never()).catch((error: unknown) => error);
    await pollUntil(
      () => one.admission.running(alice) === 2 && one.admission.waiting(alice) === 1,
      'the waiter',
    );
    // Another process's run is not this one's to stop.
    const elsewhere = await two.admission.acquire({ userId: 'bob' }, never());
    Admission.stopOnCutOff(elsewhere, () => stopped.push('elsewhere'));

    member = false;
    one.admission.cutOff('no beat stored for 4000 ms');
    expect(stopped).toEqual([
      'turn: no beat stored for 4000 ms',
      'task: no beat stored for 4000 ms',
      'scheduled: no beat stored for 4000 ms',
    ]);
    // The runs stop and give their slots back; the waiter then claims, and is refused.
    await Promise.all([turn(), task.release(), scheduled()]);
    expect(await waiting).toMatchObject({ message: 'this process lost its place in the deployment' });
    expect(one.admission.running(alice)).toBe(0);
    // A member again: new runs are not stopped by the cut-off before.
    member = true;
    const next = await one.admission.acquire(alice, never());
    expect(next.cutOff?.aborted).toBe(false);
    await Promise.all([next(), elsewhere()]);
    expect(await cluster.runs()).toEqual([]);
  });
});
