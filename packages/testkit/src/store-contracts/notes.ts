/**
 * The NoteStore contract: every implementation runs these against a real backend. They pin
 * exact round trips (unicode, hostile text, the 32 KiB limit), tag normalization and filtering,
 * user scoping (another user's note is "not found"), newest-change-first order, unique ids under
 * concurrent saves, a change hook told in commit order whose failure never loses the note, and
 * each note's taint (conversation recall's) kept across updates.
 */
import type { NoteChangeEvent, NoteStore } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { HOSTILE_TEXT, openEach, rejection, type StoreOpener } from './harness.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const notFound = (error: unknown) => (error as { name?: string } | undefined)?.name === 'NoteNotFoundError';
const tick = () => new Promise((done) => setTimeout(done, 5));

export function noteStoreContract(open: StoreOpener<NoteStore>): void {
  describe('NoteStore contract', () => {
    let store: NoteStore;
    openEach(open, (current) => {
      store = current.store;
    });

    it('round-trips unicode and hostile text, trimmed, up to 32 KiB, and refuses more', async () => {
      for (const content of [...HOSTILE_TEXT, 'ü'.repeat(16 * 1024)]) {
        const saved = await store.save({ content: `  ${content}\n` });
        expect(saved.content).toBe(content);
        expect(saved.createdAt).toMatch(ISO);
        expect(await store.get(saved.id)).toEqual({
          id: saved.id,
          content,
          tags: [],
          createdAt: saved.createdAt,
          updatedAt: saved.updatedAt,
        });
      }
      for (const content of ['   ', 'x'.repeat(32 * 1024 + 1), 42]) {
        expect(await rejection(() => store.save({ content: content as string }))).toBeDefined();
      }
      expect(await store.list()).toHaveLength(HOSTILE_TEXT.length + 1);
    });

    it('drops NUL characters (which PostgreSQL text cannot hold) from content, tags and a tag filter', async () => {
      const saved = await store.save({ content: 'a\u0000b \u0000', tags: ['x\u0000y', '\u0000 z'] });
      expect(saved).toMatchObject({ content: 'ab', tags: ['xy', 'z'] });
      expect(await store.get(saved.id)).toMatchObject({ content: 'ab', tags: ['xy', 'z'] });
      expect((await store.update(saved.id, { content: 'c\u0000d', tags: ['w\u0000'] })).tags).toEqual(['w']);
      expect((await store.list({ tags: ['w\u0000'] })).map((note) => note.content)).toEqual(['cd']);
      expect(await rejection(() => store.save({ content: '\u0000 \u0000' }))).toBeDefined();
      // No note id holds one: a read, an update or a delete by such an id finds no note.
      expect(await store.get(`${saved.id}\u0000`)).toBeUndefined();
      expect(notFound(await rejection(() => store.update(`${saved.id}\u0000`, { content: 'x' })))).toBe(true);
      expect(notFound(await rejection(() => store.delete(`${saved.id}\u0000`)))).toBe(true);
    });

    it('normalizes tags and lists only notes carrying all the tags asked for', async () => {
      const a = await store.save({ content: 'a', tags: [' Prefs ', 'prefs', 'WORK', '日本'] });
      expect(a.tags).toEqual(['prefs', 'work', '日本']);
      const b = await store.save({ content: 'b', tags: ['prefs'] });
      await store.save({ content: 'c' });
      expect((await store.list({ tags: ['prefs'] })).map((note) => note.id).sort()).toEqual(
        [a.id, b.id].sort(),
      );
      expect((await store.list({ tags: ['PREFS', 'work'] })).map((note) => note.id)).toEqual([a.id]);
      expect(await store.list({ tags: ["'); drop table notes; --"] })).toEqual([]);
      expect(
        await rejection(() =>
          store.save({ content: 'x', tags: Array.from({ length: 17 }, (_, i) => `t${i}`) }),
        ),
      ).toBeDefined();
      expect(await rejection(() => store.save({ content: 'x', tags: [''] }))).toBeDefined();
    });

    it("keeps users apart: another user's note is not found, and is left unchanged", async () => {
      const alices = await store.save({ content: 'alice only', userId: 'alice' });
      const shared = await store.save({ content: 'no user' });
      expect(await store.get(alices.id, { userId: 'bob' })).toBeUndefined();
      expect(
        notFound(await rejection(() => store.update(alices.id, { content: 'mine now' }, { userId: 'bob' }))),
      ).toBe(true);
      expect(notFound(await rejection(() => store.delete(alices.id, { userId: 'bob' })))).toBe(true);
      expect((await store.get(alices.id, { userId: 'alice' }))?.content).toBe('alice only');
      expect((await store.list({ userId: 'alice' })).map((note) => note.id)).toEqual([alices.id]);
      expect((await store.list({ userId: 'bob' })).map((note) => note.id)).toEqual([]);
      expect((await store.list()).map((note) => note.id).sort()).toEqual([alices.id, shared.id].sort());
      expect((await store.get(alices.id))?.userId).toBe('alice');
    });

    it('answers missing ids: undefined and NoteNotFoundError', async () => {
      expect(await store.get('ghost')).toBeUndefined();
      expect(notFound(await rejection(() => store.update('ghost', { content: 'x' })))).toBe(true);
      expect(notFound(await rejection(() => store.delete('ghost')))).toBe(true);
      expect(await store.list()).toEqual([]);
    });

    it('updates content, keeps or replaces tags, and lists newest change first with paging', async () => {
      const first = await store.save({ content: 'first', tags: ['keep'] });
      await tick();
      const second = await store.save({ content: 'second' });
      await tick();
      const updated = await store.update(first.id, { content: 'first, changed' });
      expect(updated).toMatchObject({ id: first.id, content: 'first, changed', tags: ['keep'] });
      expect(updated.createdAt).toBe(first.createdAt);
      expect(updated.updatedAt > first.updatedAt).toBe(true);
      expect((await store.update(first.id, { content: 'again', tags: ['new'] })).tags).toEqual(['new']);
      expect((await store.list()).map((note) => note.id)).toEqual([first.id, second.id]);
      expect((await store.list({ limit: 1, offset: 1 })).map((note) => note.id)).toEqual([second.id]);
      const deleted = await store.delete(second.id);
      expect(deleted.content).toBe('second');
      expect(await store.get(second.id)).toBeUndefined();
    });

    it("keeps a note's taint: given at save, added by a tainted update of a clean note, kept by any later update, told to the hook", async () => {
      const page = { kind: 'web' as const, source: `https://evil.example/${HOSTILE_TEXT.join('|')}` };
      const told: NoteChangeEvent[] = [];
      store.setChangeHook(async (event) => {
        told.push(event);
      });
      const tainted = await store.save({ content: 'from the page', taint: [page] });
      expect(tainted.taint).toEqual([page]);
      expect((await store.get(tainted.id))?.taint).toEqual([page]);
      expect(told[0]?.note.taint).toEqual([page]);
      const clean = await store.save({ content: 'my own words' });
      expect(clean.taint).toBeUndefined();
      // A clean update keeps the taint (the old words may live on); a tainted one marks a clean note.
      expect((await store.update(tainted.id, { content: 'rewritten' })).taint).toEqual([page]);
      const mcp = [{ kind: 'mcp' as const, source: 'notes' }];
      expect((await store.update(tainted.id, { content: 'again', taint: mcp })).taint).toEqual([page]);
      expect((await store.update(clean.id, { content: 'now tainted', taint: mcp })).taint).toEqual(mcp);
      const listed = Object.fromEntries((await store.list()).map((note) => [note.content, note.taint]));
      expect(listed).toEqual({ again: [page], 'now tainted': mcp });
    });

    it('gives concurrent saves distinct ids and loses none', async () => {
      const saved = await Promise.all(
        Array.from({ length: 40 }, (_, index) => store.save({ content: `note ${index}`, userId: 'u' })),
      );
      expect(new Set(saved.map((note) => note.id)).size).toBe(40);
      expect(await store.list({ userId: 'u', limit: 100 })).toHaveLength(40);
    });

    it('tells the change hook of each commit in order, and keeps the note when the hook fails', async () => {
      const events: string[] = [];
      store.setChangeHook(async (event: NoteChangeEvent) => {
        await tick();
        events.push(`${event.type}:${event.note.content}`);
      });
      const note = await store.save({ content: 'one' });
      await Promise.all([store.update(note.id, { content: 'two' }), store.save({ content: 'three' })]);
      await store.delete(note.id);
      expect(events[0]).toBe('saved:one');
      expect(events.slice(1, 3).sort()).toEqual(['saved:three', 'saved:two']);
      expect(events[3]).toBe('deleted:two');
      store.setChangeHook(async () => {
        throw new Error('index down');
      });
      const kept = await store.save({ content: 'kept anyway' });
      expect(kept.indexError?.message).toBe('index down');
      expect((await store.get(kept.id))?.content).toBe('kept anyway');
      store.setChangeHook(undefined);
      expect((await store.save({ content: 'quiet' })).indexError).toBeUndefined();
    });
  });
}
