/** The session fields and queries the gateway needs: channel of origin, archiving, filters, counts. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MemoryDatabase, MemoryValidationError, SessionNotFoundError } from '../src/index.js';
import { tempMemory } from './store-helpers.js';

let memory: MemoryDatabase;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ memory, cleanup } = await tempMemory());
});
afterEach(() => cleanup());

const ids = (list: { id: string }[]) => list.map((s) => s.id).sort();

describe('gateway session fields', () => {
  it('keeps the channel of origin, and a new session is active (not archived)', async () => {
    const session = await memory.sessions.create({ id: 'g-1', userId: 'alice', channelOrigin: 'gateway' });
    expect(session).toMatchObject({ id: 'g-1', userId: 'alice', channelOrigin: 'gateway' });
    expect(session.archivedAt).toBeUndefined();
    expect(await memory.sessions.get('g-1')).toEqual(session);
  });

  it('refuses a channel of origin with control characters', async () => {
    await expect(memory.sessions.create({ channelOrigin: 'bad\nchannel' })).rejects.toBeInstanceOf(
      MemoryValidationError,
    );
  });

  it('archives once, and activity (markActive or a new turn) makes the session active again', async () => {
    await memory.sessions.create({ id: 'g-1' });
    expect(await memory.sessions.archive('g-1')).toBe(true);
    expect(await memory.sessions.archive('g-1')).toBe(false);
    expect(await memory.sessions.archive('missing')).toBe(false);
    const archived = await memory.sessions.get('g-1');
    expect(archived?.archivedAt).toBeDefined();

    const active = await memory.sessions.markActive('g-1');
    expect(active.archivedAt).toBeUndefined();
    expect(active.updatedAt >= archived!.updatedAt).toBe(true);

    await memory.sessions.archive('g-1');
    await memory.sessions.appendTurn('g-1', [{ role: 'user', content: 'back again' }]);
    expect((await memory.sessions.get('g-1'))?.archivedAt).toBeUndefined();
    await expect(memory.sessions.markActive('missing')).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('lists and counts by user, archived state, sub-agent parentage and last activity', async () => {
    await memory.sessions.create({ id: 'a-1', userId: 'alice' });
    await memory.sessions.create({ id: 'a-2', userId: 'alice' });
    await memory.sessions.create({ id: 'a-sub', userId: 'alice', parentSessionId: 'a-1' });
    await memory.sessions.create({ id: 'b-1', userId: 'bob' });
    await memory.sessions.archive('a-2');

    expect(ids(await memory.sessions.list({ userId: 'alice' }))).toEqual(['a-1', 'a-2', 'a-sub']);
    expect(ids(await memory.sessions.list({ userId: 'alice', archived: false }))).toEqual(['a-1', 'a-sub']);
    expect(ids(await memory.sessions.list({ userId: 'alice', archived: true }))).toEqual(['a-2']);
    expect(ids(await memory.sessions.list({ userId: 'alice', subagents: false }))).toEqual(['a-1', 'a-2']);
    expect(await memory.sessions.count({ userId: 'alice', archived: false, subagents: false })).toBe(1);
    expect(await memory.sessions.count()).toBe(4);

    const later = new Date(Date.now() + 60_000).toISOString();
    const earlier = '2000-01-01T00:00:00.000Z';
    expect(ids(await memory.sessions.list({ updatedBefore: later, archived: false }))).toEqual([
      'a-1',
      'a-sub',
      'b-1',
    ]);
    expect(await memory.sessions.list({ updatedBefore: earlier })).toEqual([]);
  });
});
