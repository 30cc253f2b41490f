/**
 * Notes (what an agent chose to remember with memory_save) as a store contract: per user, with
 * tags, newest change first. The libSQL file is the embedded default (@oxydra/memory); PostgreSQL
 * (issue 33) implements the same interface and passes @oxydra/testkit/store-contracts' suite.
 * Each write is one atomic unit; ids (UUID v7) and times (ISO 8601 UTC) are made by the store.
 * Search is the retrieval index's, which follows the notes through the change hook.
 */
import { OxydraError } from '../errors.js';
import type { NoteRecord } from '../interfaces.js';
import type { Provenance } from '../tools.js';

export interface StoredNote extends NoteRecord {
  userId?: string;
  /**
   * What the context of the run that saved (or later updated) it held besides the operator's
   * words (chunkTaint): recall hands it on, as a conversation chunk's. Absent: none known.
   */
  taint?: Provenance[];
}

/** A note's taint as written: an update adds a taint to a clean note and keeps one it had. */
export interface NoteTaintInput {
  taint?: readonly Provenance[];
}

export interface NoteChangeEvent {
  /** `saved` for a new or updated note, `deleted` for a removed one (the note as it was). */
  type: 'saved' | 'deleted';
  note: StoredNote;
}

export type NoteChangeHook = (event: NoteChangeEvent) => Promise<void>;

/**
 * The note as written. `indexError` is set when the write committed but the change hook (the
 * search index) failed: the note is safe, it just may not be found by search until reindexed.
 */
export type NoteWriteResult = StoredNote & { indexError?: Error };

/** Restricts a call to one user's notes: another user's note is "not found". */
export interface NoteScope {
  userId?: string;
}

export interface NoteListOptions {
  userId?: string;
  /** Only notes carrying all of these tags. */
  tags?: string[];
  /** Default 50, at most 1000. */
  limit?: number;
  offset?: number;
}

/**
 * Content is trimmed, then 1 byte to 32 KiB of UTF-8 text; at most 16 tags of at most 64 characters, normalized
 * (trimmed, lower-cased, deduplicated). Anything else is refused (rejected promise).
 */
export interface NoteStore {
  /** Sets (or with undefined removes) the hook told of each committed change, in commit order. */
  setChangeHook(hook: NoteChangeHook | undefined): void;
  save(
    input: { content: string; tags?: string[]; userId?: string } & NoteTaintInput,
  ): Promise<NoteWriteResult>;
  /**
   * Replaces the content; replaces the tags when given, keeps them when omitted; a taint given
   * marks a clean note, one it had is kept (the old words may live on). NoteNotFoundError when missing.
   */
  update(
    id: string,
    input: { content: string; tags?: string[] } & NoteTaintInput,
    scope?: NoteScope,
  ): Promise<NoteWriteResult>;
  /** Deletes the note and resolves to it as it was; NoteNotFoundError when missing. */
  delete(id: string, scope?: NoteScope): Promise<NoteWriteResult>;
  get(id: string, scope?: NoteScope): Promise<StoredNote | undefined>;
  /** Newest change first. */
  list(options?: NoteListOptions): Promise<StoredNote[]>;
}

export class NoteNotFoundError extends OxydraError {
  readonly noteId: string;
  constructor(noteId: string) {
    super('tool_error', `there is no note ${noteId}; find note ids with memory_search`);
    this.noteId = noteId;
  }
}
