/**
 * The memory store's errors. Each names what was wrong and what to do next, because the notes
 * errors reach the model verbatim through the memory tools and the session errors reach people
 * through the CLI.
 */
import { OxydraError } from '@oxydra/types';

/** Bad input to a store call (empty note, too many tags, bad id): the caller can fix and retry. */
export class MemoryValidationError extends OxydraError {
  /** The input field at fault: `content`, `tags`, `title`, `id`... */
  readonly field: string;
  constructor(field: string, message: string) {
    super('tool_error', message);
    this.field = field;
  }
}

export class NoteNotFoundError extends OxydraError {
  readonly noteId: string;
  constructor(noteId: string) {
    super('tool_error', `there is no note ${noteId}; find note ids with memory_search`);
    this.noteId = noteId;
  }
}

export class SessionNotFoundError extends OxydraError {
  readonly sessionId: string;
  constructor(sessionId: string) {
    super('usage_error', `there is no session ${sessionId}`, {
      hint: 'list sessions with `oxydra sessions`',
    });
    this.sessionId = sessionId;
  }
}

export class SessionExistsError extends OxydraError {
  readonly sessionId: string;
  constructor(sessionId: string) {
    super('usage_error', `a session with id ${sessionId} already exists`);
    this.sessionId = sessionId;
  }
}

/** The database was written by a newer Oxydra: opening it with this one could corrupt it. */
export class SchemaTooNewError extends OxydraError {
  readonly found: number;
  readonly supported: number;
  constructor(where: string, found: number, supported: number) {
    super(
      'config_error',
      `memory database ${where} has schema version ${found}, but this Oxydra understands versions up to ${supported}: upgrade Oxydra to open it`,
      {
        hint: 'a newer Oxydra created or migrated this database; install the newer version (older versions must not write to it)',
      },
    );
    this.found = found;
    this.supported = supported;
  }
}

/** A stored event that no longer parses as a message: the file was edited or damaged. */
export class CorruptEventError extends OxydraError {
  constructor(sessionId: string, seq: number, why: string) {
    super('internal_error', `session ${sessionId}, message ${seq}: stored payload is unreadable (${why})`);
  }
}

/**
 * A compare-and-set write of kernel state lost: the value was written (or deleted) since the
 * caller read it. The caller re-reads and decides again rather than overwrite newer work.
 */
export class StateConflictError extends OxydraError {
  readonly category: string;
  /** The state's name (not `name`, which every Error has). */
  readonly stateName: string;
  /** The version the caller expected; 0: that no value existed. */
  readonly expectedVersion: number;
  /** The version found when the write failed; 0: no value. */
  readonly actualVersion: number;
  constructor(category: string, name: string, expectedVersion: number, actualVersion: number) {
    const expected = expectedVersion === 0 ? 'no value' : `version ${expectedVersion}`;
    const actual = actualVersion === 0 ? 'there is no value' : `it is at version ${actualVersion}`;
    super('usage_error', `state ${category}/${name} changed: expected ${expected}, but ${actual}`, {
      hint: 'load it again and retry with the version you read',
    });
    this.category = category;
    this.stateName = name;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}
