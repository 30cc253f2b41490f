import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_NOTE_BYTES,
  type MemoryDatabase,
  MemoryValidationError,
  type NoteChangeEvent,
  NoteNotFoundError,
} from '../src/index.js';
import { tempMemory } from './store-helpers.js';

let memory: MemoryDatabase;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ memory, cleanup } = await tempMemory());
});
afterEach(() => cleanup());

const validationMessage = async (promise: Promise<unknown>): Promise<string> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MemoryValidationError);
  expect(error).toMatchObject({ code: 'tool_error' });
  return (error as Error).message;
};

describe('NoteStore validation', () => {
  it('explains every limit on content', async () => {
    const { notes } = memory;
    expect(await validationMessage(notes.save({ content: '' }))).toBe(
      'note content is empty: write the fact to remember in `content`',
    );
    expect(await validationMessage(notes.save({ content: ' \n\t ' }))).toBe(
      'note content is empty: write the fact to remember in `content`',
    );
    expect(await validationMessage(notes.save({ content: 42 as never }))).toBe(
      'note content must be a string of text',
    );
    expect(await validationMessage(notes.save({ content: 'x'.repeat(MAX_NOTE_BYTES + 1) }))).toBe(
      'note content is 32769 bytes; the limit is 32768 bytes (32 KiB): keep the essentials or split it into several notes',
    );
    // Bytes, not characters: 'é' is two bytes in UTF-8.
    expect(await validationMessage(notes.save({ content: 'é'.repeat(MAX_NOTE_BYTES / 2 + 1) }))).toContain(
      'note content is 32770 bytes',
    );
    const atLimit = await notes.save({ content: `  ${'x'.repeat(MAX_NOTE_BYTES)}  ` });
    expect(atLimit.content).toHaveLength(MAX_NOTE_BYTES);
  });

  it('explains every limit on tags', async () => {
    const { notes } = memory;
    const save = (tags: unknown) => notes.save({ content: 'c', tags: tags as string[] });
    expect(await validationMessage(save('prefs'))).toBe(
      'tags must be a list of strings, e.g. ["preferences"]',
    );
    expect(await validationMessage(save(['ok', 7]))).toBe(
      'tag 2 is not a string; tags are short words like "preferences"',
    );
    expect(await validationMessage(save(['ok', '   ']))).toBe('tag 2 is empty; remove it or give it a name');
    expect(await validationMessage(save(['a'.repeat(65)]))).toBe(
      `tag "${'a'.repeat(20)}…" is 65 characters; tags are at most 64`,
    );
    expect((await save(['a'.repeat(64)])).tags).toEqual(['a'.repeat(64)]);
    const seventeen = Array.from({ length: 17 }, (_, i) => `t${i}`);
    expect(await validationMessage(save(seventeen))).toBe(
      '17 distinct tags given; a note has at most 16: keep the most useful ones',
    );
    expect((await save(seventeen.slice(0, 16))).tags).toHaveLength(16);
    // Duplicates collapse before counting.
    expect((await save([...seventeen.slice(0, 16), 'T0', ' t1 '])).tags).toHaveLength(16);
  });

  it('trims, lower-cases and de-duplicates tags, keeping first-seen order', async () => {
    const note = await memory.notes.save({
      content: 'c',
      tags: [' Prefs ', 'STYLE', 'prefs', 'Style', 'ünï'],
    });
    expect(note.tags).toEqual(['prefs', 'style', 'ünï']);
  });
});

describe('NoteStore', () => {
  it('saves, gets, updates and deletes notes', async () => {
    const { notes } = memory;
    const saved = await notes.save({
      content: '  The user prefers tabs. ',
      tags: ['prefs'],
      userId: 'alice',
    });
    expect(saved).toEqual({
      id: expect.stringMatching(/^note-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      userId: 'alice',
      content: 'The user prefers tabs.',
      tags: ['prefs'],
      createdAt: expect.any(String),
      updatedAt: saved.createdAt,
    });
    expect(await notes.get(saved.id)).toEqual(saved);

    const updated = await notes.update(saved.id, { content: 'The user prefers spaces.' });
    expect(updated).toMatchObject({
      id: saved.id,
      content: 'The user prefers spaces.',
      tags: ['prefs'],
      createdAt: saved.createdAt,
    });
    expect(updated.updatedAt >= saved.updatedAt).toBe(true);
    expect((await notes.update(saved.id, { content: 'x', tags: [] })).tags).toEqual([]);

    const deleted = await notes.delete(saved.id);
    expect(deleted).toMatchObject({ id: saved.id, content: 'x' });
    expect(await notes.get(saved.id)).toBeUndefined();
    await expect(notes.delete(saved.id)).rejects.toBeInstanceOf(NoteNotFoundError);
    await expect(notes.update(saved.id, { content: 'y' })).rejects.toThrow(
      `there is no note ${saved.id}; find note ids with memory_search`,
    );
  });

  it("scopes get, update and delete to a user: another user's note is not found", async () => {
    const { notes } = memory;
    const alices = await notes.save({ content: 'alice secret', userId: 'alice' });
    expect(await notes.get(alices.id, { userId: 'bob' })).toBeUndefined();
    expect(await notes.get(alices.id, { userId: 'alice' })).toEqual(alices);
    await expect(
      notes.update(alices.id, { content: 'bob was here' }, { userId: 'bob' }),
    ).rejects.toBeInstanceOf(NoteNotFoundError);
    await expect(notes.delete(alices.id, { userId: 'bob' })).rejects.toBeInstanceOf(NoteNotFoundError);
    expect((await notes.get(alices.id))?.content).toBe('alice secret');
  });

  it('lists notes newest first, per user, by all of the given tags', async () => {
    const { notes, client } = memory;
    const a = await notes.save({ content: 'a', tags: ['x', 'y'], userId: 'alice' });
    const b = await notes.save({ content: 'b', tags: ['x'], userId: 'alice' });
    const c = await notes.save({ content: 'c', tags: ['y'], userId: 'bob' });
    const at = (id: string, time: string) =>
      client.execute({ sql: 'UPDATE notes SET updated_at = ? WHERE id = ?', args: [time, id] });
    await at(a.id, '2030-01-03T00:00:00.000Z');
    await at(b.id, '2030-01-01T00:00:00.000Z');
    await at(c.id, '2030-01-02T00:00:00.000Z');
    const ids = async (options: Parameters<typeof notes.list>[0]) =>
      (await notes.list(options)).map((n) => n.content);
    expect(await ids({})).toEqual(['a', 'c', 'b']);
    expect(await ids({ userId: 'alice' })).toEqual(['a', 'b']);
    expect(await ids({ tags: ['X'] })).toEqual(['a', 'b']);
    expect(await ids({ tags: ['x', 'y'] })).toEqual(['a']);
    expect(await ids({ tags: ['y'], userId: 'bob' })).toEqual(['c']);
    expect(await ids({ tags: ['z'] })).toEqual([]);
    expect(await ids({ limit: 2 })).toEqual(['a', 'c']);
    // A tag value that only looks like part of the JSON array does not match.
    expect(await ids({ tags: ['x","y'] })).toEqual([]);
  });

  it('tells the change hook about each committed change, in order', async () => {
    const events: NoteChangeEvent[] = [];
    memory.notes.setChangeHook(async (event) => {
      // The change is committed before the hook runs: a fresh read sees it.
      const stored = await memory.notes.get(event.note.id);
      expect(stored === undefined).toBe(event.type === 'deleted');
      events.push(event);
    });
    const saved = await memory.notes.save({ content: 'one', tags: ['t'] });
    await memory.notes.update(saved.id, { content: 'two' });
    await memory.notes.delete(saved.id);
    expect(events.map((e) => [e.type, e.note.content])).toEqual([
      ['saved', 'one'],
      ['saved', 'two'],
      ['deleted', 'two'],
    ]);
    expect(events[0]?.note).toEqual(saved);
  });

  it('keeps the note when the hook fails, and reports the failure with the result', async () => {
    memory.notes.setChangeHook(async () => {
      throw new Error('embedder offline');
    });
    const saved = await memory.notes.save({ content: 'kept anyway' });
    expect(saved.indexError?.message).toBe('embedder offline');
    const { indexError, ...note } = saved;
    expect(await memory.notes.get(saved.id)).toEqual(note);
    const deleted = await memory.notes.delete(saved.id);
    expect(deleted.indexError?.message).toBe('embedder offline');
    expect(await memory.notes.get(saved.id)).toBeUndefined();

    // One failure does not stop later hook calls.
    let calls = 0;
    memory.notes.setChangeHook(async () => {
      calls++;
    });
    expect((await memory.notes.save({ content: 'fine' })).indexError).toBeUndefined();
    expect(calls).toBe(1);
    void indexError;
  });

  it('delivers hook calls one at a time even when notes are saved concurrently', async () => {
    let running = 0;
    let maxRunning = 0;
    const seen: string[] = [];
    memory.notes.setChangeHook(async (event) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(event.note.content);
      running--;
    });
    await Promise.all(['a', 'b', 'c', 'd'].map((content) => memory.notes.save({ content })));
    expect(maxRunning).toBe(1);
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});
