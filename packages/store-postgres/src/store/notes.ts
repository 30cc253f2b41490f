/**
 * The PostgreSQL NoteStore: what an agent chose to remember, per user, with tags (a text array,
 * order kept). Each write is one statement. Search is not here: the search index's contract is
 * still being written, and pgvector and full-text search will follow it (docs/postgres.md).
 */
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
} from '@oxydra/memory/store-input';
import {
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
import type { PgDatabase } from './database.js';
import { holdsNul } from './nul-keys.js';

const COLUMNS = 'id, user_id, content, tags, created_at, updated_at, taint';

interface NoteRow {
  id: string;
  user_id: string | null;
  content: string;
  tags: string[];
  created_at: string;
  updated_at: string;
  taint: string | null;
}

function toNote(row: NoteRow): StoredNote {
  const note: StoredNote = {
    id: row.id,
    content: row.content,
    tags: row.tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.user_id !== null) note.userId = row.user_id;
  const taint = parseTaint(row.taint);
  if (taint !== undefined) note.taint = taint;
  return note;
}

export class PostgresNoteStore implements NoteStore {
  readonly #db: PgDatabase;
  readonly #changes: NoteChangeNotifier;

  constructor(db: PgDatabase) {
    this.#db = db;
    this.#changes = new NoteChangeNotifier();
  }

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
    const { rows } = await this.#db.run((sql) =>
      sql.query<NoteRow>(
        `INSERT INTO notes (id, user_id, content, tags, created_at, updated_at, taint)
         VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING ${COLUMNS}`,
        [newNoteId(), userId ?? null, content, tags, now, taintText(input.taint)],
      ),
    );
    return this.#changes.notify({ type: 'saved', note: toNote(rows[0]!) });
  }

  async update(
    id: string,
    input: { content: string; tags?: string[] } & NoteTaintInput,
    scope?: NoteScope,
  ): Promise<NoteWriteResult> {
    const content = checkNoteContent(input.content);
    const tags = input.tags === undefined ? null : normalizeTags(input.tags);
    const userId = checkOptionalId('userId', scope?.userId);
    if (holdsNul(id)) throw new NoteNotFoundError(id);
    const { rows } = await this.#db.run((sql) =>
      sql.query<NoteRow>(
        `UPDATE notes SET content = $1, tags = COALESCE($2, tags), updated_at = $3, taint = COALESCE(taint, $6)
         WHERE id = $4 AND ($5::text IS NULL OR user_id = $5) RETURNING ${COLUMNS}`,
        [content, tags, nowIso(), id, userId ?? null, taintText(input.taint)],
      ),
    );
    if (!rows[0]) throw new NoteNotFoundError(id);
    return this.#changes.notify({ type: 'saved', note: toNote(rows[0]) });
  }

  async delete(id: string, scope?: NoteScope): Promise<NoteWriteResult> {
    const userId = checkOptionalId('userId', scope?.userId);
    if (holdsNul(id)) throw new NoteNotFoundError(id);
    const { rows } = await this.#db.run((sql) =>
      sql.query<NoteRow>(
        `DELETE FROM notes WHERE id = $1 AND ($2::text IS NULL OR user_id = $2) RETURNING ${COLUMNS}`,
        [id, userId ?? null],
      ),
    );
    if (!rows[0]) throw new NoteNotFoundError(id);
    return this.#changes.notify({ type: 'deleted', note: toNote(rows[0]) });
  }

  async get(id: string, scope?: NoteScope): Promise<StoredNote | undefined> {
    const userId = checkOptionalId('userId', scope?.userId);
    if (holdsNul(id)) return undefined;
    const { rows } = await this.#db.run((sql) =>
      sql.query<NoteRow>(
        `SELECT ${COLUMNS} FROM notes WHERE id = $1 AND ($2::text IS NULL OR user_id = $2)`,
        [id, userId ?? null],
      ),
    );
    return rows[0] ? toNote(rows[0]) : undefined;
  }

  async list(options: NoteListOptions = {}): Promise<StoredNote[]> {
    const limit = checkCount('limit', options.limit, DEFAULT_NOTE_LIST_LIMIT, MAX_NOTE_LIST_LIMIT);
    const offset = checkCount('offset', options.offset, 0, Number.MAX_SAFE_INTEGER);
    const userId = checkOptionalId('userId', options.userId);
    const tags = normalizeTags(options.tags);
    const { rows } = await this.#db.run((sql) =>
      sql.query<NoteRow>(
        `SELECT ${COLUMNS} FROM notes
         WHERE ($1::text IS NULL OR user_id = $1) AND tags @> $2::text[]
         ORDER BY updated_at DESC, row_id DESC LIMIT $3 OFFSET $4`,
        [userId ?? null, tags, limit, offset],
      ),
    );
    return rows.map(toNote);
  }
}
