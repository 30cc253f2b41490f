/**
 * The libSQL NoteStore (the embedded default of the contract in @oxydra/types): what the agent
 * chose to remember (memory_save), per user, with tags. The notes table and the API over it. Search lives in the retrieval index, which follows changes
 * through the onChange hook.
 */
import type { Client, Row } from '@libsql/client';
import {
  type NoteChangeEvent,
  type NoteChangeHook,
  type NoteListOptions,
  NoteNotFoundError,
  type NoteScope,
  type NoteStore,
  type NoteTaintInput,
  type NoteWriteResult,
  parseTaint,
  type StoredNote,
  taintText,
} from '@oxydra/types';
import {
  checkCount,
  checkNoteContent,
  checkOptionalId,
  DEFAULT_NOTE_LIST_LIMIT,
  MAX_NOTE_LIST_LIMIT,
  NoteChangeNotifier,
  newNoteId,
  normalizeTags,
  nowIso,
} from '../../store-input.js';
import { optionalText, text } from './db.js';

/** The names this package always used for the contract's types. */
export type Note = StoredNote;
export type { NoteChangeEvent, NoteChangeHook, NoteScope, NoteWriteResult };

export interface NoteStoreOptions {
  onChange?: NoteChangeHook;
}

export { DEFAULT_NOTE_LIST_LIMIT, MAX_NOTE_LIST_LIMIT } from '../../store-input.js';

const COLUMNS = 'id, user_id, content, tags, created_at, updated_at, taint';

function toNote(row: Row): Note {
  const note: Note = {
    id: text(row, 'id'),
    content: text(row, 'content'),
    tags: JSON.parse(text(row, 'tags')) as string[],
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
  const userId = optionalText(row, 'user_id');
  const taint = parseTaint(row.taint);
  if (userId !== undefined) note.userId = userId;
  if (taint !== undefined) note.taint = taint;
  return note;
}

/** ` AND user_id = ?` and its argument when scoped; nothing otherwise. */
function userFilter(scope: NoteScope | undefined): { sql: string; args: string[] } {
  const userId = checkOptionalId('userId', scope?.userId);
  return userId === undefined ? { sql: '', args: [] } : { sql: ' AND user_id = ?', args: [userId] };
}

export class LibsqlNoteStore implements NoteStore {
  readonly #db: Client;
  readonly #changes: NoteChangeNotifier;

  constructor(client: Client, options: NoteStoreOptions = {}) {
    this.#db = client;
    this.#changes = new NoteChangeNotifier(options.onChange);
  }

  /** Sets (or with undefined removes) the change hook: the retrieval index attaches here. */
  setChangeHook(hook: NoteChangeHook | undefined): void {
    this.#changes.set(hook);
  }

  async save(
    input: { content: string; tags?: string[]; userId?: string } & NoteTaintInput,
  ): Promise<NoteWriteResult> {
    const content = checkNoteContent(input.content);
    const tags = normalizeTags(input.tags);
    const userId = checkOptionalId('userId', input.userId);
    const now = nowIso();
    const result = await this.#db.execute({
      sql: `INSERT INTO notes (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      args: [newNoteId(), userId ?? null, content, JSON.stringify(tags), now, now, taintText(input.taint)],
    });
    return this.#changes.notify({ type: 'saved', note: toNote(result.rows[0]!) });
  }

  /** Replaces the content; replaces the tags when given, keeps them when omitted. */
  async update(
    id: string,
    input: { content: string; tags?: string[] } & NoteTaintInput,
    scope?: NoteScope,
  ): Promise<NoteWriteResult> {
    const content = checkNoteContent(input.content);
    const tags = input.tags === undefined ? null : JSON.stringify(normalizeTags(input.tags));
    const filter = userFilter(scope);
    const result = await this.#db.execute({
      sql: `UPDATE notes SET content = ?, tags = COALESCE(?, tags), updated_at = ?, taint = COALESCE(taint, ?)
            WHERE id = ?${filter.sql} RETURNING ${COLUMNS}`,
      args: [content, tags, nowIso(), taintText(input.taint), id, ...filter.args],
    });
    const row = result.rows[0];
    if (!row) throw new NoteNotFoundError(id);
    return this.#changes.notify({ type: 'saved', note: toNote(row) });
  }

  /** Deletes the note and returns it as it was; throws NoteNotFoundError if there is none. */
  async delete(id: string, scope?: NoteScope): Promise<NoteWriteResult> {
    const filter = userFilter(scope);
    const result = await this.#db.execute({
      sql: `DELETE FROM notes WHERE id = ?${filter.sql} RETURNING ${COLUMNS}`,
      args: [id, ...filter.args],
    });
    const row = result.rows[0];
    if (!row) throw new NoteNotFoundError(id);
    return this.#changes.notify({ type: 'deleted', note: toNote(row) });
  }

  async get(id: string, scope?: NoteScope): Promise<Note | undefined> {
    const filter = userFilter(scope);
    const result = await this.#db.execute({
      sql: `SELECT ${COLUMNS} FROM notes WHERE id = ?${filter.sql}`,
      args: [id, ...filter.args],
    });
    const row = result.rows[0];
    return row ? toNote(row) : undefined;
  }

  /** Notes newest first (by last change); with `tags`, only notes carrying all of them. */
  async list(options: NoteListOptions = {}): Promise<Note[]> {
    const limit = checkCount('limit', options.limit, DEFAULT_NOTE_LIST_LIMIT, MAX_NOTE_LIST_LIMIT);
    const offset = checkCount('offset', options.offset, 0, Number.MAX_SAFE_INTEGER);
    const filter = userFilter(options);
    const tags = normalizeTags(options.tags);
    const tagSql = tags
      .map(() => ' AND EXISTS (SELECT 1 FROM json_each(notes.tags) WHERE value = ?)')
      .join('');
    const result = await this.#db.execute({
      sql: `SELECT ${COLUMNS} FROM notes WHERE 1 = 1${filter.sql}${tagSql}
            ORDER BY updated_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      args: [...filter.args, ...tags, limit, offset],
    });
    return result.rows.map(toNote);
  }
}
