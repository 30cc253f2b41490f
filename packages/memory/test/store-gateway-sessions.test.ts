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

  it('searches ids and titles in SQL: literal % _ and \\, ASCII case folded, per user, paged, counted', async () => {
    const made = async (id: string, userId: string, title?: string) =>
      memory.sessions.create({ id, userId, ...(title !== undefined ? { title } : {}) });
    await made('s-1', 'alice', 'Zebra crossing plans');
    await made('s-2', 'alice', '100% done');
    await made('s-3', 'alice', '1000 done');
    await made('s-4', 'alice', 'snake_case names');
    await made('s-5', 'alice', 'snakeXcase names');
    await made('s-6', 'alice', 'back\\slash');
    await made('zebra-id', 'alice');
    await made('b-1', 'bob', 'zebra of bob');

    const search = (text: string, more: { userId?: string; limit?: number; offset?: number } = {}) =>
      memory.sessions.list({ userId: 'alice', search: text, ...more }).then(ids);
    // Title or id, either case.
    expect(await search('ZEBRA')).toEqual(['s-1', 'zebra-id']);
    expect(await search('s-3')).toEqual(['s-3']);
    // % and _ match only themselves, not "any text" and "any character".
    expect(await search('100%')).toEqual(['s-2']);
    expect(await search('%')).toEqual(['s-2']);
    expect(await search('snake_case')).toEqual(['s-4']);
    expect(await search('_')).toEqual(['s-4']);
    expect(await search('\\')).toEqual(['s-6']);
    // Quotes and SQL are text too.
    expect(await search("' OR 1=1 --")).toEqual([]);
    // One user's sessions only; the same filter counts; limit and offset page the matches.
    expect(ids(await memory.sessions.list({ search: 'zebra' }))).toEqual(['b-1', 's-1', 'zebra-id']);
    expect(await memory.sessions.count({ userId: 'alice', search: 'zebra' })).toBe(2);
    expect(await memory.sessions.count({ userId: 'bob', search: '%' })).toBe(0);
    expect(await search('zebra', { limit: 1 })).toHaveLength(1);
    const both = await memory.sessions.list({ userId: 'alice', search: 'zebra' });
    expect(
      (await memory.sessions.list({ userId: 'alice', search: 'zebra', limit: 1, offset: 1 })).map(
        (s) => s.id,
      ),
    ).toEqual([both[1]!.id]);
    // Empty is no filter; too long is refused.
    expect(await search('')).toHaveLength(7);
    await expect(memory.sessions.list({ search: 'x'.repeat(501) })).rejects.toBeInstanceOf(
      MemoryValidationError,
    );
  });

  it('finds a match among many more sessions than one page holds', async () => {
    const statements = Array.from({ length: 1500 }, (_, i) => ({
      sql: "INSERT INTO sessions (id, title, user_id, created_at, updated_at) VALUES (?, ?, 'alice', ?, ?)",
      args: [
        `bulk-${i}`,
        i === 0 ? 'the needle' : `hay ${i}`,
        '2030-01-01T00:00:00.000Z',
        `2030-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(3, '0').slice(-3)}Z`,
      ],
    }));
    await memory.client.batch(statements, 'write');
    // The oldest of 1,500: beyond the 1,000 most recent a list returns at most.
    const found = await memory.sessions.list({ userId: 'alice', search: 'NEEDLE' });
    expect(found.map((s) => s.id)).toEqual(['bulk-0']);
  });
});
