/**
 * The kernel's agents: spawn is synchronous and its handle streams the agent's events in
 * envelopes, ending with the run's outcome and agent_exited; sessions are stored (for a user,
 * as that user's); keepAlive agents take more turns; list/get/resources/checkBudget tell the
 * truth; the memory and exec system calls reach the same store and sandbox the agents use.
 */
import { scriptedProvider } from '@oxydra/testkit';
import { scriptedKernelOptions, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openKernel } from '../src/index.js';
import { closeAll, collect, ON_POSTGRES, ownerSessions, testKernel, text } from './helpers.js';

afterEach(closeAll);

describe('agents.spawn', () => {
  it('returns at once, then streams envelopes: spawned, the run, its outcome with the session, exited', async () => {
    const { kernel, mock } = await testKernel([text('hello there', { input: 100, output: 10 })]);
    const agent = kernel.agents.spawn({ prompt: 'say hello' });
    expect(agent.status).toBe('starting');
    expect(kernel.agents.get(agent.id)?.status).toBe('starting');
    const events = await collect(agent.events);
    const types = events.map((e) => e.event.type);
    expect(types[0]).toBe('agent_spawned');
    expect(types).toContain('turn_start');
    expect(types.slice(-2)).toEqual(['run_completed', 'agent_exited']);
    expect(events.every((e) => e.agentId === agent.id)).toBe(true);
    // seq is strictly increasing.
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    const result = await agent.result;
    expect(result).toMatchObject({ status: 'completed', text: 'hello there', turns: 1, agentId: agent.id });
    expect(result.sessionId).toMatch(/\S/);
    const end = events.find((e) => e.event.type === 'run_completed')!.event;
    expect(end).toMatchObject({ sessionId: result.sessionId });
    expect(kernel.agents.get(agent.id)).toMatchObject({ status: 'completed', turns: 1 });
    expect(await (await ownerSessions(kernel)).loadMessages(result.sessionId!)).toHaveLength(2);
    expect(mock.requests).toHaveLength(1);
  });

  it("stores a user's session as theirs, and a stateless spawn stores nothing", async () => {
    const { kernel } = await testKernel([text('one'), text('two')]);
    const mine = await kernel.agents.spawn({ prompt: 'hi', userId: 'alice' }).result;
    expect((await (await ownerSessions(kernel)).get(mine.sessionId!))?.userId).toBe('alice');
    const before = (await (await ownerSessions(kernel)).list({})).length;
    const stateless = await kernel.agents.spawn({ prompt: 'hi', persist: false }).result;
    expect(stateless.sessionId).toBeUndefined();
    expect((await (await ownerSessions(kernel)).list({})).length).toBe(before);
  });

  it('refuses what cannot run before anything runs: an unknown agent, an unknown tool, a bad session name', async () => {
    const { kernel, mock } = await testKernel([]);
    expect(() => kernel.agents.spawn({ prompt: 'x', agent: 'nobody' })).toThrow(/unknown agent "nobody"/);
    expect(() => kernel.agents.spawn({ prompt: 'x', tools: ['file_raed'] })).toThrow(
      /unknown tool "file_raed".*file_read/,
    );
    expect(() => kernel.agents.spawn({ prompt: 'x', sessionId: 'no spaces' })).toThrow(/--session/);
    expect(mock.requests).toHaveLength(0);
    expect(kernel.agents.list()).toEqual([]);
  });

  it('a keepAlive agent goes idle after a turn, takes another with the conversation, and completes on close', async () => {
    const { kernel, mock } = await testKernel([text('first answer'), text('second answer')]);
    const agent = kernel.agents.spawn({ prompt: 'first', keepAlive: true });
    await collect(agent.events);
    expect(agent.status).toBe('idle');
    const second = agent.send('second');
    const events = await collect(second.events);
    expect(events.map((e) => e.event.type)).not.toContain('agent_exited');
    expect((await second.result).text).toBe('second answer');
    // The second call carried the first exchange.
    const messages = mock.requests[1]!.body!.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.content)).toEqual(
      expect.arrayContaining(['first', 'first answer', 'second']),
    );
    expect(agent.sessionId).toBe((await second.result).sessionId);
    agent.close();
    expect(kernel.agents.get(agent.id)?.status).toBe('completed');
    expect(() => agent.send('third')).toThrow(/not idle/);
  });

  it('subscribe filters by agent and type across agents', async () => {
    const { kernel } = await testKernel([{ reply: { text: 'a' }, times: 'always' }]);
    const outcomes = kernel.subscribe({ types: ['run_completed'] });
    const a = kernel.agents.spawn({ prompt: 'one' });
    const b = kernel.agents.spawn({ prompt: 'two' });
    await Promise.all([a.result, b.result]);
    outcomes.close();
    const seen = await collect(outcomes);
    expect(seen.map((e) => e.agentId).sort()).toEqual([a.id, b.id].sort());
  });
});

describe('resources and budgets', () => {
  it('resources() counts live agents and sessions; checkBudget shows what is left', async () => {
    const { kernel } = await testKernel([text('done', { input: 1000, output: 100 })]);
    const agent = kernel.agents.spawn({
      prompt: 'x',
      keepAlive: true,
      limits: { maxTurns: 7, maxCostUsd: 1 },
    });
    await agent.result;
    const snapshot = await kernel.resources();
    expect(snapshot.agents).toMatchObject({ active: 1, idle: 1, running: 0 });
    expect(snapshot.sessions).toBe(1);
    expect(snapshot.process.rssBytes).toBeGreaterThan(0);
    const budget = kernel.checkBudget(agent.id)!;
    expect(budget.turns).toEqual({ used: 1, limit: 7, remaining: 6 });
    expect(budget.costUsd.used).toBeGreaterThan(0);
    expect(budget.costUsd.remaining).toBeCloseTo(1 - budget.costUsd.used!, 10);
  });
});

describe('state system calls', () => {
  // libSQL only: its second kernel opens the first one's memory database by its file path
  it.skipIf(ON_POSTGRES)(
    'saves, loads, lists and deletes named JSON values that outlive the kernel',
    async () => {
      const first = await testKernel([]);
      const { kernel, workspace } = first;
      expect(
        await (await kernel.service('state')).save('schedules', 'nightly', {
          cron: '0 3 * * *',
          enabled: true,
        }),
      ).toEqual({
        version: 1,
      });
      expect(
        await (await kernel.service('state')).save('schedules', 'nightly', {
          cron: '0 4 * * *',
          enabled: true,
        }),
      ).toEqual({
        version: 2,
      });
      await (await kernel.service('state')).save('schedules', 'weekly', { cron: '0 3 * * 1' });
      expect((await (await kernel.service('state')).list('schedules')).map((e) => e.name)).toEqual([
        'nightly',
        'weekly',
      ]);
      await expect(
        (await kernel.service('state')).save('schedules', 'nightly', {}, { expectedVersion: 1 }),
      ).rejects.toThrow(/version/);
      // A second kernel on the same database file sees what the first saved.
      const second = await testKernel([], { memory: { db_path: `${workspace}/.oxydra/memory.db` } });
      expect((await (await second.kernel.service('state')).load('schedules', 'nightly'))?.value).toEqual({
        cron: '0 4 * * *',
        enabled: true,
      });
      expect(await (await second.kernel.service('state')).delete('schedules', 'weekly')).toBe(true);
      expect(await (await kernel.service('state')).load('schedules', 'weekly')).toBeUndefined();
    },
  );

  // libSQL only: on PostgreSQL kernel state is the database's own store, which works with memory off
  it.skipIf(ON_POSTGRES)('says memory must be on', async () => {
    const { kernel } = await testKernel([], { memory: { enabled: false } });
    await expect((await kernel.service('state')).load('a', 'b')).rejects.toThrow(/memory is off/);
  });
});

describe('memory and exec system calls', () => {
  it('memory.remember stores a note that memory.recall (and the agents) find', async () => {
    const { kernel } = await testKernel([]);
    await (await kernel.service('memory')).remember('The deploy key rotates every Tuesday.', {
      tags: ['ops'],
    });
    const hits = await (await kernel.service('memory')).recall('when does the deploy key rotate');
    expect(hits[0]?.text).toContain('Tuesday');
  });

  it('exec refuses when commands would run unsandboxed, saying how to enable the sandbox', async () => {
    const { kernel } = await testKernel([]);
    await expect((await kernel.service('exec'))('echo hi')).rejects.toThrow(/sandbox is off/);
  });
});

describe('session ownership', () => {
  it("refuses a user's agent another user's session, even by its full id; the owner may continue it", async () => {
    const { kernel } = await testKernel([{ reply: { text: 'ok' }, times: 'always' }]);
    const bobs = await kernel.agents.spawn({ prompt: 'bob here', userId: 'bob', sessionId: 'bob-notes' })
      .result;
    const id = bobs.sessionId!;
    const alice = await kernel.agents.spawn({ prompt: 'read it', userId: 'alice', sessionId: id }).result;
    expect(alice.status).toBe('failed');
    expect(alice.error?.message).toContain(`session ${JSON.stringify(id)} belongs to another user`);
    const owner = await kernel.agents.spawn({ prompt: 'owner here', sessionId: id }).result;
    expect(owner.status).toBe('completed');
    expect(owner.sessionId).toBe(id);
  });

  it('gives a host no way round the session rule: no unscoped store on the facade, the whole one only against the owner grant', async () => {
    const { kernel } = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    const bobs = (await kernel.agents.spawn({ prompt: 'bob secret', userId: 'bob' }).result).sessionId!;
    // Every session read of a host goes through sessionAccess, with the caller's user.
    expect('sessions' in kernel).toBe(false);
    const access = await kernel.service('sessionAccess');
    await expect(access.messages(bobs, { userId: 'alice' })).rejects.toThrow(/not found/);
    expect(await access.lookup(bobs, { userId: 'alice' })).toEqual([]);
    // The whole store opens only with the kernel's owner grant: no scope opens it.
    await expect(access.ownerStore({} as never)).rejects.toThrow(/owner grant/);
    await expect(access.ownerStore({ userId: 'alice' } as never)).rejects.toThrow(/owner grant/);
    // The workspace's owner (no user), and bob, read it.
    expect(JSON.stringify(await access.messages(bobs, {}))).toContain('bob secret');
    expect(JSON.stringify(await access.messages(bobs, { userId: 'bob' }))).toContain('bob secret');
  });

  it('gives the owner grant only to the code that opens the kernel: a kernel opened without asking has no way to mint one', async () => {
    const { kernel } = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    // Code handed the kernel (a route acting for a user) finds no call that mints a grant.
    const names = [...Object.keys(kernel), ...Object.getOwnPropertyNames(Object.getPrototypeOf(kernel))];
    expect(names.filter((name) => /owner|grant/i.test(name))).toEqual([]);
    // Asked for at open, the grant comes with the kernel, to its opener, and opens that kernel's store only.
    const scratch = tempWorkspace({ prefix: 'oxydra-kernel-owner-' });
    const model = scriptedProvider([{ text: 'hi' }]);
    const { kernel: owned, owner } = await openKernel(
      { workspace: scratch.dir, ...scriptedKernelOptions(model) },
      { ownerGrant: true },
    );
    try {
      // Accepted (memory is off in this kernel, so there is no store: undefined, not a refusal).
      await expect((await owned.service('sessionAccess')).ownerStore(owner)).resolves.toBeUndefined();
      await expect((await kernel.service('sessionAccess')).ownerStore(owner)).rejects.toThrow(/owner grant/);
    } finally {
      await owned.close();
      scratch.cleanup();
    }
  });

  it('opens a continued session with one read: its row with the stamp, and no lookup', async () => {
    const { kernel } = await testKernel([{ reply: { text: 'ok' }, times: 'always' }]);
    const first = await kernel.agents.spawn({ prompt: 'one', userId: 'u', sessionId: 'notes' }).result;
    const store = await ownerSessions(kernel);
    const get = vi.spyOn(store, 'get');
    const lookup = vi.spyOn(store, 'lookup');
    const stamp = vi.spyOn(store, 'stamp');
    const getOrCreate = vi.spyOn(store, 'getOrCreate');
    const second = await kernel.agents.spawn({ prompt: 'two', userId: 'u', sessionId: first.sessionId! })
      .result;
    expect(second).toMatchObject({ status: 'completed', sessionId: first.sessionId });
    expect(second.messages.map((message) => message.content)).toEqual(['one', 'ok', 'two', 'ok']);
    // The row comes with the history's stamp (on a database server one statement where the row,
    // the lookup and the stamp were three); the user's own row is what the lookup would name.
    expect(stamp.mock.calls.filter(([, options]) => options?.session === true)).toHaveLength(1);
    expect(get).not.toHaveBeenCalled();
    expect(lookup).not.toHaveBeenCalled();
    expect(getOrCreate).not.toHaveBeenCalled();

    // Another user's session of that id: the lookup is asked, and the run refused, as before.
    const other = await kernel.agents.spawn({ prompt: 'three', userId: 'v', sessionId: first.sessionId! })
      .result;
    expect(other.status).toBe('failed');
    expect(lookup).toHaveBeenCalledWith(first.sessionId, { userId: 'v' });
    expect(await store.countMessages(first.sessionId!)).toBe(4);
  });
});
