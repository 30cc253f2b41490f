/**
 * The SessionStore contract (sessions, their append-only message log and their state): every
 * implementation runs these against a real backend. They pin seq numbering without gaps or
 * repeats (also with two writers), whole-or-nothing turns, exact round trips of unicode and big
 * messages, user scoping, literal search, missing ids, and compare-and-set of session state
 * (also written relaxed, like appended turns: the same answers).
 */
import type { Message, SessionStore } from '@oxydra/types';
import { describe, expect, it, vi } from 'vitest';
import {
  HOSTILE_TEXT,
  type OpenedStore,
  openEach,
  rejection,
  type StoreOpener,
  secondHandle,
} from './harness.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const user = (content: string): Message => ({ role: 'user', content });
const assistant = (content: string): Message => ({ role: 'assistant', content });
const named = (error: unknown) => (error as { name?: string } | undefined)?.name;

export function sessionStoreContract(open: StoreOpener<SessionStore>): void {
  describe('SessionStore contract', () => {
    let opened: OpenedStore<SessionStore>;
    let store: SessionStore;
    openEach(open, (current) => {
      opened = current;
      store = current.store;
    });

    it('creates sessions with given or generated ids, and refuses an id twice', async () => {
      const made = await store.create({
        id: 'chat-1',
        title: 'Ünïcode 🎉',
        userId: 'alice',
        agent: 'default',
      });
      expect(made).toMatchObject({ id: 'chat-1', title: 'Ünïcode 🎉', userId: 'alice', agent: 'default' });
      expect(made.createdAt).toMatch(ISO);
      expect(await store.get('chat-1')).toEqual(made);
      const generated = await store.create();
      expect(generated.id).not.toBe('chat-1');
      expect(generated.id.length).toBeGreaterThan(8);
      expect(named(await rejection(() => store.create({ id: 'chat-1' })))).toBe('SessionExistsError');
      expect((await store.get('chat-1'))?.title).toBe('Ünïcode 🎉');
    });

    it('answers missing ids: undefined, false, SessionNotFoundError', async () => {
      expect(await store.get('ghost')).toBeUndefined();
      expect(await store.stamp('ghost')).toBeUndefined();
      expect(await store.archive('ghost')).toBe(false);
      expect(await store.delete('ghost')).toBe(false);
      expect(await store.getState('ghost', 'k')).toBeUndefined();
      for (const work of [
        () => store.loadMessages('ghost'),
        () => store.loadEvents('ghost'),
        () => store.countMessages('ghost'),
        () => store.appendTurn('ghost', [user('hi')]),
        () => store.rename('ghost', 'x'),
        () => store.markActive('ghost'),
        () => store.setState('ghost', 'k', 'v', null),
      ]) {
        expect(named(await rejection(work))).toBe('SessionNotFoundError');
      }
      expect(await store.get('ghost')).toBeUndefined();
      expect(await rejection(() => store.create({ id: 'child', parentSessionId: 'ghost' }))).toBeDefined();
      expect(await store.get('child')).toBeUndefined();
    });

    it('appends turns with seq 1, 2, 3... and round-trips every kind of message exactly', async () => {
      await store.create({ id: 's' });
      const big = 'x'.repeat(2_000_000);
      const first: Message[] = [
        { role: 'system', content: 'be brief' },
        user(`hello ${HOSTILE_TEXT.join(' | ')}`),
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'c1', name: 'read_file', arguments: { path: 'ü/🎉.txt', deep: { list: [1, null] } } },
          ],
        },
        { role: 'tool', toolCallId: 'c1', toolName: 'read_file', content: big, isError: false },
      ];
      expect(await store.appendTurn('s', first)).toMatchObject({ turn: 1, firstSeq: 1, lastSeq: 4 });
      const second = await store.appendTurn('s', [assistant('done'), user('thanks')]);
      expect(second).toMatchObject({ turn: 2, firstSeq: 5, lastSeq: 6 });
      expect(second.createdAt).toMatch(ISO);
      expect(await store.loadMessages('s')).toEqual([...first, assistant('done'), user('thanks')]);
      const events = await store.loadEvents('s', { afterSeq: 3 });
      expect(events.map((event) => [event.seq, event.turn, event.role])).toEqual([
        [4, 1, 'tool'],
        [5, 2, 'assistant'],
        [6, 2, 'user'],
      ]);
      expect(events[1]?.createdAt).toBe(second.createdAt);
      expect(await store.countMessages('s')).toBe(6);
      expect(await store.loadMessages('s', { afterSeq: 6 })).toEqual([]);
      expect(await store.stamp('s')).toMatchObject({ lastSeq: 6, lastTurn: 2, lastAt: second.createdAt });
      // The row with it when asked, as get reads it (a turn opening its session reads it once).
      const withRow = await store.stamp('s', { session: true });
      expect(withRow).toMatchObject({ lastSeq: 6, lastTurn: 2, lastAt: second.createdAt });
      expect(withRow?.session).toEqual(await store.get('s'));
      expect(withRow?.generation).toBe((await store.stamp('s'))?.generation);
      expect((await store.stamp('s'))?.session).toBeUndefined();
      expect(await store.stamp('ghost', { session: true })).toBeUndefined();
    });

    it('stores a turn whole or not at all', async () => {
      await store.create({ id: 's' });
      await store.appendTurn('s', [user('kept')]);
      const bad = [user('lost'), { role: 'robot', content: 'x' } as unknown as Message];
      expect(await rejection(() => store.appendTurn('s', bad))).toBeDefined();
      expect(await rejection(() => store.appendTurn('s', []))).toBeDefined();
      expect(await store.loadMessages('s')).toEqual([user('kept')]);
      expect(await store.appendTurn('s', [user('next')])).toMatchObject({ turn: 2, firstSeq: 2, lastSeq: 2 });
    });

    it('never gives two writers the same seq, and keeps each turn together', async () => {
      await store.create({ id: 's' });
      const second = await secondHandle(opened);
      try {
        const turns = await Promise.all(
          Array.from({ length: 16 }, (_, index) =>
            (index % 2 ? second.store : store).appendTurn('s', [user(`q${index}`), assistant(`a${index}`)]),
          ),
        );
        expect(turns.map((turn) => turn.turn).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 16 }, (_, index) => index + 1),
        );
        const events = await second.store.loadEvents('s');
        expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 32 }, (_, index) => index + 1));
        for (let index = 0; index < 32; index += 2) {
          const [question, answer] = [events[index]!, events[index + 1]!];
          expect(question.turn).toBe(answer.turn);
          expect((answer.message.content as string).slice(1)).toBe(
            (question.message.content as string).slice(1),
          );
        }
      } finally {
        await second.close();
      }
    });

    it("keeps a user's room (SessionRoom) when creations race on two handles", async () => {
      // Count-then-insert as one unit: eight creations at once against a limit of two store two,
      // whichever connection each comes from (two gateways on one PostgreSQL).
      const second = await secondHandle(opened);
      const room = { maxActive: 2 };
      const each = <T>(work: (on: SessionStore) => Promise<T>) =>
        Promise.allSettled(Array.from({ length: 8 }, (_, index) => work(index % 2 ? second.store : store)));
      try {
        // Connections opened first, so the creations below meet the server at once.
        await each((on) => on.count());
        const made = await each((on) => on.create({ userId: 'alice' }, room));
        const stored = made.flatMap((one) => (one.status === 'fulfilled' ? [one.value] : []));
        expect(stored).toHaveLength(2);
        for (const one of made) {
          if (one.status === 'rejected') {
            expect(named(one.reason)).toBe('SessionLimitError');
            expect((one.reason as Error).message).toContain('user alice has 2 active sessions');
          }
        }
        expect(await store.count({ userId: 'alice' })).toBe(2);
        // Only active top-level sessions count; another user has a room of their own; the
        // default session is checked only when it is created.
        await store.create({ userId: 'alice', parentSessionId: stored[0]!.id });
        await store.archive(stored[0]!.id);
        expect((await store.create({ userId: 'alice' }, room)).userId).toBe('alice');
        expect(
          named(await rejection(() => store.getOrCreate('alice-default', { userId: 'alice' }, room))),
        ).toBe('SessionLimitError');
        expect((await store.getOrCreate(stored[1]!.id, { userId: 'alice' }, room)).id).toBe(stored[1]!.id);
        expect((await second.store.create({ userId: 'bob' }, room)).userId).toBe('bob');
        expect((await store.create({ userId: 'alice' })).userId).toBe('alice');
      } finally {
        await second.close();
      }
    });

    it('lets exactly one racing getOrCreate make a session, and all of them see it', async () => {
      const made = await Promise.all(
        Array.from({ length: 8 }, (_, index) => store.getOrCreate('shared', { title: `t${index}` })),
      );
      expect(new Set(made.map((session) => session.title)).size).toBe(1);
      expect(await store.count()).toBe(1);
    });

    it('lets racing getOrCreates of one id within a room of one all get the session, not a limit error', async () => {
      // The one made fills the room; the others, having read nothing, find the room full before
      // they find the id taken. The session exists, so it needs no room: they get it.
      const room = { maxActive: 1 };
      const made = await Promise.allSettled(
        Array.from({ length: 8 }, () => store.getOrCreate('carol-default', { userId: 'carol' }, room)),
      );
      expect(made.map((one) => (one.status === 'fulfilled' ? one.value.id : named(one.reason)))).toEqual(
        Array(8).fill('carol-default'),
      );
      expect(await store.count({ userId: 'carol' })).toBe(1);
    });

    it('lists newest activity first, scoped by user, with counts, paging and literal search', async () => {
      await store.create({ id: 'a1', userId: 'alice', title: '100% done_ok' });
      await store.create({ id: 'b1', userId: 'bob', title: 'plain' });
      await store.create({ id: 'a2', userId: 'alice', title: 'other' });
      // Times are the store's own, to the millisecond: let one pass so a1's activity is the newest.
      await new Promise((done) => setTimeout(done, 5));
      await store.appendTurn('a1', [user('touch')]);
      const alice = await store.list({ userId: 'alice' });
      expect(alice.map((session) => session.id)).toEqual(['a1', 'a2']);
      expect(alice.map((session) => session.messageCount)).toEqual([1, 0]);
      expect((await store.list()).map((session) => session.id)).toEqual(['a1', 'a2', 'b1']);
      expect((await store.list({ limit: 1, offset: 1 })).map((session) => session.id)).toEqual(['a2']);
      expect(await store.count({ userId: 'bob' })).toBe(1);
      expect(await store.count({ userId: 'carol' })).toBe(0);
      expect((await store.list({ search: '100%' })).map((session) => session.id)).toEqual(['a1']);
      expect((await store.list({ search: 'e_o' })).map((session) => session.id)).toEqual(['a1']);
      expect(await store.list({ search: '%' })).toHaveLength(1);
      expect(await store.list({ search: "'; drop table sessions; --" })).toEqual([]);
      expect((await store.list({ search: 'PLAIN' })).map((session) => session.id)).toEqual(['b1']);
      // A NUL (which PostgreSQL refuses in a query) is left out of the search, on every store.
      expect((await store.list({ search: 'pla\u0000in' })).map((session) => session.id)).toEqual(['b1']);
      expect(await store.count({ search: '\u0000' })).toBe(3);
      // No id or user id holds a NUL (ids refuse control characters): reads by one find nothing.
      expect(await store.get('a1\u0000')).toBeUndefined();
      expect(await store.lookup('a\u0000')).toEqual([]);
      expect(await store.lookup('a1', { userId: 'alice\u0000' })).toEqual([]);
      expect(await store.list({ userId: 'alice\u0000' })).toEqual([]);
      expect(await store.count({ userId: 'alice\u0000' })).toBe(0);
      expect(await store.lookup('a1', { userId: 'bob' })).toEqual([]);
      expect(await store.lookup('a1', { userId: 'alice' })).toEqual(['a1']);
      expect((await store.lookup('a')).sort()).toEqual(['a1', 'a2']);
      expect(await store.lookup('zz')).toEqual([]);
    });

    it('archives, reactivates, renames and deletes, keeping sub-agent sessions unlinked', async () => {
      await store.create({ id: 'parent' });
      await store.create({ id: 'kid', parentSessionId: 'parent' });
      await store.appendTurn('parent', [user('one')]);
      await store.setState('parent', 'summary', 'v1', null);
      expect(await store.archive('parent')).toBe(true);
      expect(await store.archive('parent')).toBe(false);
      expect((await store.list({ archived: true })).map((session) => session.id)).toEqual(['parent']);
      expect((await store.list({ subagents: false })).map((session) => session.id)).toEqual(['parent']);
      expect((await store.markActive('parent')).archivedAt).toBeUndefined();
      expect((await store.rename('parent', 'Renamed ✓')).title).toBe('Renamed ✓');
      expect(await store.delete('parent')).toBe(true);
      expect(await store.get('parent')).toBeUndefined();
      expect(await store.getState('parent', 'summary')).toBeUndefined();
      expect((await store.get('kid'))?.parentSessionId).toBeUndefined();
      const again = await store.create({ id: 'parent' });
      expect(await store.countMessages('parent')).toBe(0);
      expect(await store.stamp('parent')).toMatchObject({ lastSeq: 0, lastTurn: 0, lastAt: '' });
      expect(again.id).toBe('parent');
    });

    it('changes the stamp generation when a session is deleted and made again', async () => {
      await store.create({ id: 's' });
      const before = await store.stamp('s');
      await store.delete('s');
      await store.create({ id: 's' });
      expect((await store.stamp('s'))?.generation).not.toBe(before?.generation);
    });

    it('changes the stamp generation even when the delete and the new session share a millisecond', async () => {
      // The clock stands still (only Date is faked): what a fast store does within one tick.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-01-02T03:04:05.006Z') });
      try {
        await store.create({ id: 'same-tick' });
        const before = await store.stamp('same-tick');
        await store.delete('same-tick');
        await store.create({ id: 'same-tick' });
        expect((await store.stamp('same-tick'))?.generation).not.toBe(before?.generation);
      } finally {
        vi.useRealTimers();
      }
    });

    it('writes session state by compare-and-set, exactly one racing writer winning', async () => {
      await store.create({ id: 's' });
      expect(await store.setState('s', 'k', 'v1 ü', null)).toBe(true);
      expect(await store.setState('s', 'k', 'again', null)).toBe(false);
      expect(await store.getState('s', 'k')).toEqual({ value: 'v1 ü', epoch: 1 });
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, index) => store.setState('s', 'k', `w${index}`, 1)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect((await store.getState('s', 'k'))?.epoch).toBe(2);
      expect(await store.setState('s', 'k', 'stale', 1)).toBe(false);
      expect(await rejection(() => store.setState('s', 'k', 'x', -1))).toBeDefined();
    });

    it('ends a turn in one unit: its messages and state writes, a lost compare-and-set alone writing nothing', async () => {
      await store.create({ id: 'end' });
      await store.appendTurn('end', [user('q1')]);
      expect(await store.setState('end', 'record', 'running', null)).toBe(true);
      const ended = await store.endTurn('end', {
        messages: [assistant('a1 ü')],
        states: [
          { key: 'record', value: 'done', expectedEpoch: 1 },
          { key: 'head', value: 'h1', expectedEpoch: null },
          { key: 'record', value: 'stale', expectedEpoch: 1 },
        ],
      });
      expect(ended.appended).toMatchObject({ turn: 2, firstSeq: 2, lastSeq: 2 });
      expect(ended.written).toEqual([true, true, false]);
      expect(ended.released).toBeUndefined();
      expect(await store.loadMessages('end')).toEqual([user('q1'), assistant('a1 ü')]);
      expect(await store.getState('end', 'record')).toEqual({ value: 'done', epoch: 2 });
      expect(await store.getState('end', 'head')).toEqual({ value: 'h1', epoch: 1 });
      // Without messages: the state writes alone; then nothing at all.
      expect(
        await store.endTurn('end', { states: [{ key: 'head', value: 'h2', expectedEpoch: 1 }] }),
      ).toEqual({
        written: [true],
      });
      expect(await store.endTurn('end', {})).toEqual({ written: [] });
      expect((await store.stamp('end'))?.lastSeq).toBe(2);
      // The numbering goes on after it, also with an appendTurn racing it.
      const [raced, after] = await Promise.all([
        store.appendTurn('end', [user('q3')]),
        store.endTurn('end', { messages: [assistant('a3')] }),
      ]);
      expect([raced.turn, after.appended?.turn].sort()).toEqual([3, 4]);
      expect((await store.stamp('end'))?.lastSeq).toBe(4);
    });

    it('ends a turn of a missing session with nothing written, and refuses an empty message list', async () => {
      expect(
        named(
          await rejection(() =>
            store.endTurn('ghost', {
              messages: [assistant('a')],
              states: [{ key: 'k', value: 'v', expectedEpoch: null }],
            }),
          ),
        ),
      ).toBe('SessionNotFoundError');
      expect(
        named(
          await rejection(() =>
            store.endTurn('ghost', { states: [{ key: 'k', value: 'v', expectedEpoch: null }] }),
          ),
        ),
      ).toBe('SessionNotFoundError');
      expect(await store.get('ghost')).toBeUndefined();
      await store.create({ id: 'kept' });
      expect(await rejection(() => store.endTurn('kept', { messages: [] }))).toBeDefined();
      expect(
        await rejection(() =>
          store.endTurn('kept', {
            messages: [assistant('a')],
            states: [{ key: 'k', value: 'v', expectedEpoch: -1 }],
          }),
        ),
      ).toBeDefined();
      expect(await store.countMessages('kept')).toBe(0);
      expect(await store.getState('kept', 'k')).toBeUndefined();
    });

    it('writes relaxed session state by the same compare-and-set, visible at once', async () => {
      const relaxed = { relaxed: true };
      await store.create({ id: 'r' });
      expect(await store.setState('r', 'k', 'v1', null, relaxed)).toBe(true);
      expect(await store.setState('r', 'k', 'again', null, relaxed)).toBe(false);
      const wins = await Promise.all(
        Array.from({ length: 6 }, (_, index) => store.setState('r', 'k', `w${index}`, 1, relaxed)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect((await store.getState('r', 'k'))?.epoch).toBe(2);
      expect(await store.setState('r', 'k', 'flushed', 2)).toBe(true);
      expect(await store.getState('r', 'k')).toEqual({ value: 'flushed', epoch: 3 });
      expect(named(await rejection(() => store.setState('ghost', 'k', 'v', null, relaxed)))).toBe(
        'SessionNotFoundError',
      );
    });

    it('appends a relaxed turn with the same numbering, read back at once', async () => {
      const relaxed = { relaxed: true };
      await store.create({ id: 'ra' });
      expect(await store.appendTurn('ra', [user('q1')], relaxed)).toMatchObject({
        turn: 1,
        firstSeq: 1,
        lastSeq: 1,
      });
      expect(await store.appendTurn('ra', [assistant('a1'), user('q2')])).toMatchObject({
        turn: 2,
        lastSeq: 3,
      });
      const [third, fourth] = await Promise.all([
        store.appendTurn('ra', [assistant('a2')], relaxed),
        store.appendTurn('ra', [user('q3')], relaxed),
      ]);
      expect([third.firstSeq, fourth.firstSeq].sort()).toEqual([4, 5]);
      expect((await store.loadMessages('ra')).slice(0, 3)).toEqual([user('q1'), assistant('a1'), user('q2')]);
      expect(await store.stamp('ra')).toMatchObject({ lastSeq: 5, lastTurn: 4 });
      expect(named(await rejection(() => store.appendTurn('ghost', [user('hi')], relaxed)))).toBe(
        'SessionNotFoundError',
      );
    });
  });
}
