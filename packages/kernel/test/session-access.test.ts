import { join } from 'node:path';
import { type MemoryDatabase, openMemory } from '@oxydra/memory';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mintOwnerGrant, OwnerGrant, sessionAccess } from '../src/services/session-access.js';
import type { SpecRecord } from '../src/spec/record.js';

describe('the kernel session access rule', () => {
  let scratch: TempWorkspace;
  let dir: string;
  let memory: MemoryDatabase;
  beforeEach(async () => {
    scratch = tempWorkspace({ prefix: 'oxydra-session-access-' });
    dir = scratch.dir;
    memory = await openMemory({ path: join(dir, 'memory.db') });
  });
  afterEach(async () => {
    await memory.close();
    scratch.cleanup();
  });

  it("answers another user's session exactly like a missing one", async () => {
    const access = sessionAccess(() => memory.sessions);
    const bobs = await memory.sessions.create({ userId: 'bob', title: 'plans' });
    const missing = 'no-such-session';

    expect(await access.get(bobs.id, { userId: 'alice' })).toBeUndefined();
    expect(await access.get(missing, { userId: 'alice' })).toBeUndefined();
    const foreign = await access.open(bobs.id, { userId: 'alice' }).catch((error: Error) => error);
    const absent = await access.open(missing, { userId: 'alice' }).catch((error: Error) => error);
    expect(foreign).toBeInstanceOf(Error);
    // Same class, code and wording: only the id the caller typed differs.
    expect((foreign as Error).constructor).toBe((absent as Error).constructor);
    expect((foreign as Error).message.replace(bobs.id, 'ID')).toBe(
      (absent as Error).message.replace(missing, 'ID'),
    );

    // The owner and the workspace's owner (no user) see it.
    expect((await access.open(bobs.id, { userId: 'bob' })).id).toBe(bobs.id);
    expect((await access.get(bobs.id, {}))?.id).toBe(bobs.id);
  });

  it("holds a user's list to that user whatever the filter asks, and refuses to reuse a foreign id", async () => {
    const access = sessionAccess(() => memory.sessions);
    const bobs = await memory.sessions.create({ userId: 'bob' });
    await memory.sessions.create({ userId: 'alice' });
    const listed = await access.list({ userId: 'bob' }, { userId: 'alice' });
    expect(listed.map((session) => session.userId)).toEqual(['alice']);
    expect((await access.list({}, {})).length).toBe(2);

    expect(await access.getOrCreate(bobs.id, {}, { userId: 'alice' })).toBeUndefined();
    expect((await access.getOrCreate('runtime-alice', {}, { userId: 'alice' }))?.userId).toBe('alice');
    expect(await access.takenByOther(bobs.id, { userId: 'alice' })).toBe(true);
    expect(await access.takenByOther(bobs.id, { userId: 'bob' })).toBe(false);
    expect(await access.takenByOther('free-name', { userId: 'alice' })).toBe(false);
  });

  it("reads a session's messages, looks names up and deletes only within the scope", async () => {
    const access = sessionAccess(() => memory.sessions);
    const bobs = await memory.sessions.create({ userId: 'bob', title: 'plans' });
    await memory.sessions.appendTurn(bobs.id, [{ role: 'user', content: 'the secret plan' }]);
    const missing = await access.messages('no-such-session', { userId: 'alice' }).catch((e: Error) => e);
    const foreign = await access.messages(bobs.id, { userId: 'alice' }).catch((e: Error) => e);
    expect((foreign as Error).message.replace(bobs.id, 'ID')).toBe(
      (missing as Error).message.replace('no-such-session', 'ID'),
    );
    expect(await access.lookup(bobs.id, { userId: 'alice' })).toEqual([]);
    expect(await access.lookup(bobs.id.slice(-8), { userId: 'alice' })).toEqual([]);
    expect(await access.delete(bobs.id, { userId: 'alice' })).toBe(false);

    expect((await access.messages(bobs.id, { userId: 'bob' })).map((m) => m.content)).toEqual([
      'the secret plan',
    ]);
    expect(await access.lookup(bobs.id, {})).toEqual([bobs.id]);
    expect(await access.delete(bobs.id, {})).toBe(true);
  });

  it('hands the whole store only against the grant minted for it: a forged one is refused', async () => {
    const access = sessionAccess(() => memory.sessions);
    // What a host acting for a user could pass: a scope, a plain object, the class's prototype.
    for (const grant of [{}, { userId: 'alice' }, null, 'owner']) {
      await expect(access.ownerStore(grant as OwnerGrant)).rejects.toThrow(/owner grant/);
    }
    await expect(access.ownerStore(Object.create(OwnerGrant.prototype))).rejects.toThrow(/owner grant/);
    expect(await access.ownerStore(mintOwnerGrant(access))).toBe(memory.sessions);
    // A real grant opens only the access it was minted for (another kernel's is refused).
    const other = sessionAccess(() => memory.sessions);
    await expect(access.ownerStore(mintOwnerGrant(other))).rejects.toThrow(/owner grant/);
    // Nobody outside the kernel mints one: the constructor wants the kernel's own key.
    expect(() => new OwnerGrant(Symbol('owner grant'), access)).toThrow(/minted by the kernel only/);
    const off = sessionAccess(() => undefined);
    expect(await off.ownerStore(mintOwnerGrant(off))).toBeUndefined();
  });

  it("exports, reads the spec run of and counts only the scope's sessions, a foreign one like a missing one", async () => {
    const access = sessionAccess(() => memory.sessions);
    const bobs = await memory.sessions.create({ userId: 'bob', title: 'plans' });
    await memory.sessions.appendTurn(bobs.id, [{ role: 'user', content: 'the secret plan' }]);
    await memory.sessions.create({ userId: 'alice' });
    const record: SpecRecord = {
      version: 1,
      directive: { goal: 'plan', constraints: [], criteria: [] },
      attempts: [],
      maxAttempts: 1,
      state: 'running',
    };
    await access.storeSpecRecord(bobs.id, record, { userId: 'bob' });

    for (const format of ['markdown', 'jsonl'] as const) {
      const foreign = await access.export(bobs.id, format, { userId: 'alice' }).catch((e: Error) => e);
      const missing = await access
        .export('no-such-session', format, { userId: 'alice' })
        .catch((e: Error) => e);
      expect(foreign).toBeInstanceOf(Error);
      expect((foreign as Error).message.replace(bobs.id, 'ID')).toBe(
        (missing as Error).message.replace('no-such-session', 'ID'),
      );
      expect(await access.export(bobs.id, format, { userId: 'bob' })).toContain('the secret plan');
    }
    expect(await access.specRecord(bobs.id, { userId: 'alice' })).toBeUndefined();
    expect((await access.specRecord(bobs.id, { userId: 'bob' }))?.state).toBe('running');
    // alice cannot write over bob's record either.
    await access.storeSpecRecord(bobs.id, { ...record, state: 'failed' }, { userId: 'alice' });
    expect((await access.specRecord(bobs.id, {}))?.state).toBe('running');

    expect(await access.count({ userId: 'alice' })).toBe(1);
    expect(await access.count({ userId: 'carol' })).toBe(0);
    expect(await access.count({})).toBe(2);
  });

  it('refuses every call when memory is off', async () => {
    const access = sessionAccess(() => undefined);
    await expect(access.get('x', {})).rejects.toThrow(/memory is off/);
    expect(access.mayUse('bob', { userId: 'alice' })).toBe(false);
    expect(access.mayUse('bob', {})).toBe(true);
  });
});
