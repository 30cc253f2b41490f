import { readFileSync } from 'node:fs';
import type { Message } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CorruptEventError,
  isOmittedAttachment,
  type MemoryDatabase,
  MemoryValidationError,
  newSessionId,
  SessionExistsError,
  SessionNotFoundError,
} from '../src/index.js';
import { everyKindOfMessage, tempMemory } from './store-helpers.js';

let memory: MemoryDatabase;
let cleanup: () => Promise<void>;
let dbPath: string;
beforeEach(async () => {
  ({ memory, cleanup, dbPath } = await tempMemory());
});
afterEach(() => cleanup());

const count = async (sql: string, args: (string | number)[] = []) =>
  Number((await memory.client.execute({ sql, args })).rows[0]?.[0]);

describe('session ids', () => {
  it('are UUID v7 strings that sort in creation order, even within one millisecond or when the clock goes back', () => {
    const ids = [
      ...Array.from({ length: 5000 }, () => newSessionId(1_700_000_000_000)),
      newSessionId(1_600_000_000_000), // clock stepped back
      newSessionId(Date.now()),
    ];
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('SessionStore', () => {
  it('creates sessions with a default sortable id or a given one, and gets them', async () => {
    const a = await memory.sessions.create();
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(a.title).toBeUndefined();
    expect(a.createdAt).toBe(a.updatedAt);
    const b = await memory.sessions.create({
      id: 'chat-1',
      title: '  Plan   the trip ',
      userId: 'alice',
      agent: 'planner',
      parentSessionId: a.id,
    });
    expect(b).toMatchObject({
      id: 'chat-1',
      title: 'Plan the trip',
      userId: 'alice',
      agent: 'planner',
      parentSessionId: a.id,
    });
    expect(await memory.sessions.get('chat-1')).toEqual(b);
    expect(await memory.sessions.get('nope')).toBeUndefined();
    await expect(memory.sessions.create({ id: 'chat-1' })).rejects.toBeInstanceOf(SessionExistsError);
    await expect(memory.sessions.create({ parentSessionId: 'ghost' })).rejects.toThrow(
      'parent session ghost does not exist',
    );
    await expect(memory.sessions.create({ id: '' })).rejects.toBeInstanceOf(MemoryValidationError);
    await expect(memory.sessions.create({ id: 'a\nb' })).rejects.toThrow('control characters');
    await expect(memory.sessions.create({ title: '   ' })).rejects.toThrow('title must contain some text');
  });

  it('looks a session up by full id, short id (its tail) or prefix, within a user when asked', async () => {
    // Sessions started close together share their timestamp prefix.
    const a = await memory.sessions.create({ id: '01a2022f-3c44-7a01-8d2e-5f0c1e9a0b11', userId: 'alice' });
    const b = await memory.sessions.create({ id: '01a2022f-3c44-7a02-9e11-77aa42c0ffee', userId: 'bob' });
    await memory.sessions.create({ id: 'tg:42' });
    expect(await memory.sessions.lookup(a.id)).toEqual([a.id]);
    expect(await memory.sessions.lookup(a.id.slice(-8))).toEqual([a.id]);
    expect(await memory.sessions.lookup('tg:42')).toEqual(['tg:42']);
    expect((await memory.sessions.lookup(a.id.slice(0, 8))).sort()).toEqual([a.id, b.id].sort());
    expect(await memory.sessions.lookup(a.id.slice(0, 8), { userId: 'bob' })).toEqual([b.id]);
    expect(await memory.sessions.lookup(a.id.slice(-8), { userId: 'bob' })).toEqual([]);
    expect(await memory.sessions.lookup('nothing-like-it')).toEqual([]);
  });

  it('getOrCreate returns an existing session unchanged or creates it', async () => {
    const created = await memory.sessions.getOrCreate('tg:42', { title: 'Telegram', userId: 'bob' });
    expect(created).toMatchObject({ id: 'tg:42', title: 'Telegram', userId: 'bob' });
    const again = await memory.sessions.getOrCreate('tg:42', { title: 'Other', userId: 'carol' });
    expect(again).toEqual(created);
    const both = await Promise.all([
      memory.sessions.getOrCreate('race'),
      memory.sessions.getOrCreate('race'),
    ]);
    expect(both[0]).toEqual(both[1]);
  });

  it('appends turns with contiguous seqs and turn numbers, and titles an untitled session from the first user text', async () => {
    const { id } = await memory.sessions.create();
    const first = await memory.sessions.appendTurn(id, [
      { role: 'system', content: 'sys' },
      { role: 'user', content: [{ type: 'attachment', mimeType: 'image/png', data: 'AAAA' }] },
      {
        role: 'user',
        content:
          '  Find\nthe   bug in parser.ts and fix it, then run every test again until they all pass please ',
      },
      { role: 'assistant', content: 'ok' },
    ]);
    expect(first).toEqual({ turn: 1, firstSeq: 1, lastSeq: 4, createdAt: expect.any(String) });
    const second = await memory.sessions.appendTurn(id, [{ role: 'user', content: 'and another thing' }]);
    expect(second).toEqual({ turn: 2, firstSeq: 5, lastSeq: 5, createdAt: expect.any(String) });
    expect(second.createdAt >= first.createdAt).toBe(true);
    const session = await memory.sessions.get(id);
    expect(session?.title).toBe(
      'Find the bug in parser.ts and fix it, then run every test again until they all…',
    );
    expect([...(session?.title ?? '')].length).toBeLessThanOrEqual(80);
    expect(session!.updatedAt >= session!.createdAt).toBe(true);
    const events = await memory.sessions.loadEvents(id);
    expect(events.map((e) => [e.seq, e.turn, e.role])).toEqual([
      [1, 1, 'system'],
      [2, 1, 'user'],
      [3, 1, 'user'],
      [4, 1, 'assistant'],
      [5, 2, 'user'],
    ]);
    expect((await memory.sessions.loadMessages(id, { afterSeq: 3 })).map((m) => m.content)).toEqual([
      'ok',
      'and another thing',
    ]);
    expect(await memory.sessions.countMessages(id)).toBe(5);
  });

  it('keeps a title set by create or rename', async () => {
    const { id } = await memory.sessions.create({ title: 'Mine' });
    await memory.sessions.appendTurn(id, [{ role: 'user', content: 'something else' }]);
    expect((await memory.sessions.get(id))?.title).toBe('Mine');
    const renamed = await memory.sessions.rename(id, 'Renamed');
    expect(renamed.title).toBe('Renamed');
    await expect(memory.sessions.rename('ghost', 'x')).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(memory.sessions.rename(id, 'x'.repeat(201))).rejects.toThrow(
      'title is 201 characters; the limit is 200',
    );
  });

  it('stores titles as one printable line: no terminal escapes or control characters', async () => {
    const { id } = await memory.sessions.create();
    await memory.sessions.appendTurn(id, [
      { role: 'user', content: '\u001b[31mred\u001b[0m alert\u0007\nnext' },
    ]);
    expect((await memory.sessions.get(id))?.title).toBe('red alert next');
    const renamed = await memory.sessions.rename(id, 'ok\u202e\u001b]0;pwned\u0007');
    expect(renamed.title).toBe('ok');
    await expect(memory.sessions.rename(id, '\u001b[2J')).rejects.toThrow('title must contain some text');
  });

  it('round-trips every kind of message, storing attachments without their bytes', async () => {
    const { id } = await memory.sessions.create();
    const messages = everyKindOfMessage();
    await memory.sessions.appendTurn(id, messages.slice(0, 3));
    await memory.sessions.appendTurn(id, messages.slice(3));
    const loaded = await memory.sessions.loadMessages(id);

    const expected = structuredClone(messages) as Message[];
    const user = expected[2] as Extract<Message, { role: 'user' }>;
    user.content = [
      { type: 'text', text: 'And look at this:' },
      { type: 'attachment', mimeType: 'image/png', name: 'shot.png', data: '', omittedBytes: 3000 } as never,
      { type: 'attachment', mimeType: 'application/pdf', data: '', omittedBytes: 8 } as never,
    ];
    expect(loaded).toEqual(expected);
    const parts = (loaded[2] as Extract<Message, { role: 'user' }>).content as Exclude<
      Extract<Message, { role: 'user' }>['content'],
      string
    >;
    expect(parts.map(isOmittedAttachment)).toEqual([false, true, true]);

    const payloads = await memory.client.execute({
      sql: 'SELECT payload FROM conversation_events WHERE session_id = ?',
      args: [id],
    });
    const stored = payloads.rows.map((row) => String(row.payload)).join('\n');
    expect(stored).not.toContain(Buffer.alloc(3000, 7).toString('base64').slice(0, 40));
    expect(stored).not.toContain(Buffer.from('%PDF-1.7').toString('base64'));
    // The caller's messages are not modified.
    expect((messages[2] as Extract<Message, { role: 'user' }>).content[1]).toMatchObject({
      data: expect.stringMatching(/^Bw/),
    });
  });

  it('appends all of a turn or none of it when a statement fails mid-turn', async () => {
    const { id } = await memory.sessions.create();
    await memory.sessions.appendTurn(id, [{ role: 'user', content: 'first' }]);
    const before = await memory.sessions.get(id);
    // The third message of the next turn (seq 4) fails inside the database.
    await memory.client.execute(`CREATE TRIGGER fail_mid_turn BEFORE INSERT ON conversation_events
      WHEN NEW.seq = 4 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    const turn: Message[] = [
      { role: 'user', content: 'second' },
      { role: 'assistant', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'assistant', content: 'c' },
    ];
    await expect(memory.sessions.appendTurn(id, turn)).rejects.toThrow('disk on fire');
    expect(await memory.sessions.countMessages(id)).toBe(1);
    expect(await memory.sessions.get(id)).toEqual(before);

    await memory.client.execute('DROP TRIGGER fail_mid_turn');
    expect(await memory.sessions.appendTurn(id, turn)).toEqual({
      turn: 2,
      firstSeq: 2,
      lastSeq: 5,
      createdAt: expect.any(String),
    });
  });

  it('rejects a bad turn before writing anything', async () => {
    const { id } = await memory.sessions.create();
    await expect(memory.sessions.appendTurn(id, [])).rejects.toThrow('a turn needs at least one message');
    await expect(
      memory.sessions.appendTurn(id, [
        { role: 'user', content: 'x' },
        { role: 'robot', content: 'y' } as never,
      ]),
    ).rejects.toThrow('message 2 of the turn has role "robot"');
    await expect(
      memory.sessions.appendTurn('ghost', [{ role: 'user', content: 'x' }]),
    ).rejects.toBeInstanceOf(SessionNotFoundError);
    expect(await count('SELECT COUNT(*) FROM conversation_events')).toBe(0);
  });

  it('reports a missing session on load and count, and an empty one as empty', async () => {
    const { id } = await memory.sessions.create();
    expect(await memory.sessions.loadMessages(id)).toEqual([]);
    expect(await memory.sessions.countMessages(id)).toBe(0);
    await expect(memory.sessions.loadMessages('ghost')).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(memory.sessions.countMessages('ghost')).rejects.toThrow('there is no session ghost');
  });

  it('stamps a session with its generation and the last message: moved by appends, changed by re-creation', async () => {
    expect(await memory.sessions.stamp('ghost')).toBeUndefined();
    const { id } = await memory.sessions.create({ id: 'stamped' });
    const empty = await memory.sessions.stamp(id);
    expect(empty).toEqual({ generation: expect.any(String), lastSeq: 0, lastTurn: 0, lastAt: '' });
    const first = await memory.sessions.appendTurn(id, [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
    ]);
    const second = await memory.sessions.appendTurn(id, [{ role: 'user', content: 'again' }]);
    const stamp = await memory.sessions.stamp(id);
    // What appendTurn returned is the stamp's tail: a cache can advance without reading.
    expect(stamp).toEqual({
      generation: empty!.generation,
      lastSeq: second.lastSeq,
      lastTurn: second.turn,
      lastAt: second.createdAt,
    });
    expect(first.lastSeq).toBe(2);
    // Deleted and created again under the same id: another generation, whatever its log holds.
    await memory.sessions.delete(id);
    expect(await memory.sessions.stamp(id)).toBeUndefined();
    await memory.sessions.create({ id });
    await memory.sessions.appendTurn(id, [{ role: 'user', content: 'new' }]);
    expect((await memory.sessions.stamp(id))?.generation).not.toBe(empty!.generation);
  });

  it('an append rewrites no index whose key it leaves alone, and still makes an archived session active', async () => {
    const { id } = await memory.sessions.create({ id: 'pages', userId: 'u' });
    await memory.sessions.appendTurn(id, [{ role: 'user', content: 'first' }]);
    /** The b-trees (tables and indexes) whose pages `write` put in the write-ahead log. */
    const written = async (write: () => Promise<unknown>) => {
      await memory.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
      await write();
      const wal = readFileSync(`${dbPath}-wal`);
      const pageSize = wal.readUInt32BE(8);
      const pages = new Set<number>();
      // A 32-byte header, then frames: a 24-byte header (the page's number first) and the page.
      for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize)
        pages.add(wal.readUInt32BE(at));
      const names = await memory.client.execute('SELECT name, pageno FROM dbstat');
      return new Set(
        names.rows.filter((row) => pages.has(Number(row.pageno))).map((row) => String(row.name)),
      );
    };
    const active = await written(() => memory.sessions.appendTurn(id, [{ role: 'user', content: 'more' }]));
    expect(active).toContain('sessions');
    expect(active).toContain('sessions_active_by_updated'); // updated_at moved
    // Its key (user_id, while not archived) did not change: an append must not rewrite it.
    expect(active).not.toContain('sessions_active_by_user');
    expect(await memory.sessions.archive(id)).toBe(true);
    const revived = await written(() => memory.sessions.appendTurn(id, [{ role: 'user', content: 'back' }]));
    expect(revived).toContain('sessions_active_by_user');
    expect((await memory.sessions.get(id))?.archivedAt).toBeUndefined();
    expect(await memory.sessions.count({ userId: 'u', archived: false })).toBe(1);
    expect((await memory.sessions.loadMessages(id)).map((m) => m.content)).toEqual(['first', 'more', 'back']);
  });

  it('names the session and seq of a payload that no longer parses', async () => {
    const { id } = await memory.sessions.create();
    await memory.sessions.appendTurn(id, [{ role: 'user', content: 'x' }]);
    await memory.client.execute({
      sql: `UPDATE conversation_events SET payload = '{"role":"assistant","content":"x"}' WHERE session_id = ?`,
      args: [id],
    });
    const error = await memory.sessions.loadMessages(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptEventError);
    expect((error as Error).message).toBe(
      `session ${id}, message 1: stored payload is unreadable (role assistant does not match the column's user)`,
    );
  });

  it('lists sessions by last activity, newest first, with message counts, per user, paged', async () => {
    const a = await memory.sessions.create({ id: 'a', userId: 'alice' });
    await memory.sessions.create({ id: 'b', userId: 'bob' });
    await memory.sessions.create({ id: 'c', userId: 'alice' });
    // Force distinct, known activity times: a is the most recent, then c, then b.
    const at = (id: string, time: string) =>
      memory.client.execute({ sql: 'UPDATE sessions SET updated_at = ? WHERE id = ?', args: [time, id] });
    await memory.sessions.appendTurn(a.id, [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
    ]);
    await at('a', '2030-01-03T00:00:00.000Z');
    await at('b', '2030-01-01T00:00:00.000Z');
    await at('c', '2030-01-02T00:00:00.000Z');
    const all = await memory.sessions.list();
    expect(all.map((s) => [s.id, s.messageCount])).toEqual([
      ['a', 2],
      ['c', 0],
      ['b', 0],
    ]);
    expect(all[0]).toMatchObject({ id: 'a', userId: 'alice', title: 'hi' });
    expect((await memory.sessions.list({ userId: 'alice' })).map((s) => s.id)).toEqual(['a', 'c']);
    expect((await memory.sessions.list({ limit: 1, offset: 1 })).map((s) => s.id)).toEqual(['c']);
    expect(await memory.sessions.list({ userId: 'nobody' })).toEqual([]);
    // Same time: the later-created session first.
    await at('b', '2030-01-02T00:00:00.000Z');
    expect((await memory.sessions.list()).map((s) => s.id)).toEqual(['a', 'c', 'b']);
    await expect(memory.sessions.list({ limit: -1 })).rejects.toThrow(
      'limit must be an integer from 0 to 1000',
    );
  });

  it('deletes a session with its messages and state, unlinking (not deleting) its sub-agent sessions', async () => {
    const parent = await memory.sessions.create({ id: 'parent' });
    const child = await memory.sessions.create({ id: 'child', parentSessionId: parent.id });
    const other = await memory.sessions.create({ id: 'other' });
    for (const s of [parent, child, other]) {
      await memory.sessions.appendTurn(s.id, [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
      ]);
      await memory.sessions.setState(s.id, 'summary', 's', null);
    }
    expect(await memory.sessions.delete('parent')).toBe(true);
    expect(await memory.sessions.delete('parent')).toBe(false);
    expect(await memory.sessions.get('parent')).toBeUndefined();
    expect(await count("SELECT COUNT(*) FROM conversation_events WHERE session_id = 'parent'")).toBe(0);
    expect(await count("SELECT COUNT(*) FROM session_state WHERE session_id = 'parent'")).toBe(0);
    const { parentSessionId, ...unlinked } = child;
    expect(parentSessionId).toBe('parent');
    expect(await memory.sessions.get('child')).toEqual({
      ...unlinked,
      title: 'q',
      updatedAt: expect.any(String),
    });
    expect(await memory.sessions.countMessages('child')).toBe(2);
    expect(await memory.sessions.countMessages('other')).toBe(2);
  });

  it('cascades a raw delete of a session row through foreign keys', async () => {
    const s = await memory.sessions.create();
    await memory.sessions.appendTurn(s.id, [{ role: 'user', content: 'q' }]);
    await memory.sessions.setState(s.id, 'k', 'v', null);
    await memory.client.execute({ sql: 'DELETE FROM sessions WHERE id = ?', args: [s.id] });
    expect(await count('SELECT COUNT(*) FROM conversation_events')).toBe(0);
    expect(await count('SELECT COUNT(*) FROM session_state')).toBe(0);
  });
});

describe('session state', () => {
  it('writes only when the caller saw the current epoch: a stale writer loses', async () => {
    const { id } = await memory.sessions.create();
    expect(await memory.sessions.getState(id, 'summary')).toBeUndefined();
    expect(await memory.sessions.setState(id, 'summary', 'v1', 1)).toBe(false); // nothing to update yet
    expect(await memory.sessions.setState(id, 'summary', 'v1', null)).toBe(true);
    expect(await memory.sessions.setState(id, 'summary', 'again', null)).toBe(false); // exists now
    expect(await memory.sessions.getState(id, 'summary')).toEqual({ value: 'v1', epoch: 1 });

    // Two writers both read epoch 1; the first to write wins, the second must re-read.
    const [a, b] = [
      await memory.sessions.getState(id, 'summary'),
      await memory.sessions.getState(id, 'summary'),
    ];
    expect(await memory.sessions.setState(id, 'summary', 'from a', a!.epoch)).toBe(true);
    expect(await memory.sessions.setState(id, 'summary', 'from b', b!.epoch)).toBe(false);
    expect(await memory.sessions.getState(id, 'summary')).toEqual({ value: 'from a', epoch: 2 });

    // Concurrent writers with the same expectation: exactly one wins.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => memory.sessions.setState(id, 'summary', `w${i}`, 2)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await memory.sessions.getState(id, 'summary'))?.epoch).toBe(3);

    // Keys are independent.
    expect(await memory.sessions.setState(id, 'scratchpad', '[]', null)).toBe(true);
    expect(await memory.sessions.getState(id, 'scratchpad')).toEqual({ value: '[]', epoch: 1 });
  });

  it('commits state writes made together once (a kernel turn writes its audit head there)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await memory.sessions.create()).id);
    // The WAL emptied, then what the writes add to it: each commit appends the pages it changed.
    await memory.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    const written = await Promise.all(ids.map((id) => memory.sessions.setState(id, 'audit_head', 'h', null)));
    expect(written.every(Boolean)).toBe(true);
    const frames = Number((await memory.client.execute('PRAGMA wal_checkpoint(PASSIVE)')).rows[0]?.[1]);
    // One commit of the few pages all twenty rows share (a commit each: 20 times as many).
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThan(10);
    expect((await memory.sessions.getState(ids[19]!, 'audit_head'))?.value).toBe('h');
  });

  it('rejects writes to a missing session and bad arguments', async () => {
    await expect(memory.sessions.setState('ghost', 'k', 'v', null)).rejects.toBeInstanceOf(
      SessionNotFoundError,
    );
    await expect(memory.sessions.setState('ghost', 'k', 'v', 4)).rejects.toBeInstanceOf(SessionNotFoundError);
    const { id } = await memory.sessions.create();
    await expect(memory.sessions.setState(id, '', 'v', null)).rejects.toThrow(
      'state key must be a non-empty string',
    );
    await expect(memory.sessions.setState(id, 'k', 'v', 1.5)).rejects.toThrow(
      'expectedEpoch must be null or an integer',
    );
    await expect(memory.sessions.setState(id, 'k', { a: 1 } as never, null)).rejects.toThrow(
      'state values are strings',
    );
  });
});
